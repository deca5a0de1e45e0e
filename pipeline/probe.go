package pipeline

import (
	"errors"
	"io"
)

// Probe says how a file would be read: its format, header line and the
// column each field comes from. It reads only the top of the file.
type Probe struct {
	Format     string
	HeaderLine int            // 0 without a header
	Columns    map[string]int // field -> 1-based column
	Header     []string
	// OtherHeaderLine is the second header row of a 云星空 引出 export,
	// read with the header and not loaded; 0 if none.
	OtherHeaderLine int
	OtherHeader     []string
	// Choices say, for each field two columns could give, which one the
	// run takes and why.
	Choices []string
}

// ProbeFile reads the top of an export the way a run would.
func ProbeFile(path string, src Source) (Probe, error) {
	rr, err := openExport(path, src)
	if err != nil {
		return Probe{}, err
	}
	defer rr.Close()
	var rows []record
	for len(rows) < headerSearchRows {
		rec, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Probe{}, err
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return Probe{}, errors.New("empty file: no lines")
	}
	p := lineParser{src: src, headerAt: -1}
	if m, ok := positionalMap(src); ok && src.Header == "none" {
		p.cols = m
	} else if err := p.findHeader(rows); err != nil {
		return Probe{}, err
	}
	out := Probe{Format: rr.Format(), HeaderLine: p.headerLine, Columns: map[string]int{},
		OtherHeaderLine: p.otherLine, Choices: p.header.choices}
	if p.headerAt >= 0 {
		out.Header = rows[p.headerAt].Cells
	}
	for _, r := range rows {
		if p.otherLine > 0 && r.Line == p.otherLine {
			out.OtherHeader = r.Cells
		}
	}
	fields := src.schema().fields
	for f, i := range p.cols {
		if i >= 0 {
			out.Columns[fields[f]] = i + 1
		}
	}
	return out, nil
}
