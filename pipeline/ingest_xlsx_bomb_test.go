package pipeline

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// smallWorkbook is a valid export with a header and two lines.
func smallWorkbook(t *testing.T) *excelize.File {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range [][]any{{"日期", "客户编码", "价税合计"}, {"2024-03-01", "C1", 10}, {"2024-03-02", "C2", 20}} {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// withPart rewrites the workbook at path with one part more, its
// content written by fill, or with its sizes declared as given (raw).
func withPart(t *testing.T, path, name string, fill func(io.Writer), declared uint64) {
	t.Helper()
	in, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range in.File {
		if err := w.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	in.Close()
	if declared == 0 {
		part, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		fill(part)
	} else {
		// A part that says it inflates to declared bytes: its data is a
		// small deflate stream; the check goes by what the zip declares,
		// and Go's zip reader would stop the part at that size anyway.
		var data bytes.Buffer
		fw, _ := flate.NewWriter(&data, flate.BestCompression)
		fill(fw)
		fw.Close()
		part, err := w.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(nil),
			CompressedSize64: uint64(data.Len()), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data.Bytes())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func zeros(n int) func(io.Writer) {
	return func(w io.Writer) {
		block := make([]byte, 1<<20)
		for i := 0; i < n; i += len(block) {
			w.Write(block[:min(len(block), n-i)])
		}
	}
}

// A workbook that inflates past custcat's bounds (a zip bomb) fails with a
// reason before excelize reads it; a sheet with too many cells fails with
// a reason while it is read. A workbook within the bounds loads.
func TestXLSXBombRejected(t *testing.T) {
	cases := []struct {
		name   string
		bomb   func(t *testing.T, path string)
		reason string
	}{
		{"shared strings of 200 MiB", func(t *testing.T, path string) {
			withPart(t, path, "xl/sharedStrings2.xml", zeros(200<<20), 0)
		}, "workbook parts other than worksheets (shared strings, styles) inflate to 200 MiB, more than custcat reads (128 MiB)"},
		{"a sheet that says it inflates to 2 GiB", func(t *testing.T, path string) {
			withPart(t, path, "xl/worksheets/sheet2.xml", zeros(1<<20), 2<<30)
		}, "workbook inflates to 2048 MiB, more than custcat reads (1024 MiB)"},
		{"a row 16,384 cells wide", func(t *testing.T, path string) {
			f := smallWorkbook(t)
			f.SetCellValue("Sheet1", "XFD4", 1)
			if err := f.SaveAs(path); err != nil {
				t.Fatal(err)
			}
		}, "sheet Sheet1 row 4 has 16384 columns, more than custcat reads (1024)"},
		{"33 million cells", func(t *testing.T, path string) {
			f := smallWorkbook(t)
			for r := 4; r <= 4+xlsxMaxCells/xlsxMaxColumns; r++ {
				f.SetCellValue("Sheet1", fmt.Sprintf("AMJ%d", r), 1) // column 1024
			}
			if err := f.SaveAs(path); err != nil {
				t.Fatal(err)
			}
		}, fmt.Sprintf("sheet Sheet1 holds more than %d cells", xlsxMaxCells)},
		{"within the bounds", func(t *testing.T, path string) {
			withPart(t, path, "xl/sharedStrings2.xml", zeros(20<<20), 0)
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "export.xlsx")
			if err := smallWorkbook(t).SaveAs(path); err != nil {
				t.Fatal(err)
			}
			c.bomb(t, path)
			res, _ := loadInbox(t, dir, "")
			f := res.Files[0]
			if c.reason == "" {
				if f.Status != "loaded" || f.Loaded != 2 {
					t.Fatalf("%s %q, %d loaded", f.Status, f.Reason, f.Loaded)
				}
				return
			}
			if f.Status != "failed" || !strings.Contains(f.Reason, c.reason) {
				t.Errorf("%s %q, want failed: %q", f.Status, f.Reason, c.reason)
			}
		})
	}
}
