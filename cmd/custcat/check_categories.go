package main

import (
	"fmt"
	"io"

	"custcat/pipeline"
	"custcat/reports"
)

// checkCategoryFile says what the category file will be, tries the
// template a run would fill, and warns of segment codes in a form the
// preset's ERP does not import. It returns -1 when a run can write the
// file; warnings alone do not fail check.
func checkCategoryFile(cfg *pipeline.Config, stdout, stderr io.Writer) int {
	opt := cfg.Outputs.Categories
	for _, w := range reports.CodeWarnings(opt, cfg.Segments) {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if !opt.IsXLSX() {
		fmt.Fprintf(stdout, "category file: categories.csv, preset %s, %s, mode %s\n", opt.Preset, opt.Encoding, opt.Mode)
		return -1
	}
	opt.Template = cfg.Path(opt.Template)
	info, warnings, err := reports.CheckTemplate(opt)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: category file: %v\n", err)
		return exitConfig
	}
	fmt.Fprintf(stdout, "category file: categories.xlsx, preset %s, mode %s, from %s: sheet %s, header row(s) %s kept, data from row %d\n",
		opt.Preset, opt.Mode, info.File, info.Sheet, info.HeaderRows, info.DataRow)
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: template %s\n", w)
	}
	return -1
}
