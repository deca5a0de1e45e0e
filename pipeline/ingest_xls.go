package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Many ERPs write under the name .xls what Excel opens but is not the old
// binary Excel format: tab-separated text (often UTF-16, as Excel's
// "Unicode 文本" saves it) or an HTML table. Such a file is read as what
// it is; a real BIFF workbook, or an Excel 2003 XML spreadsheet, is
// refused with what to do.

// The kinds of content a file named .xls holds.
const (
	xlsBIFF = "biff" // the old Excel format (an OLE compound file)
	xlsZip  = "zip"  // an .xlsx under the old name
	xlsHTML = "html"
	xlsXML  = "xml" // Excel 2003 XML Spreadsheet
	xlsText = "text"
)

// xlsSniffBytes is how much of the file tells its kind.
const xlsSniffBytes = 64 << 10

// openXLS opens a file named .xls by what it holds.
func openXLS(path string, src Source) (recordReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, xlsSniffBytes)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch sniffXLS(head[:n]) {
	case xlsBIFF:
		return nil, fmt.Errorf("%w: .xls (the old Excel format); open it in Excel or WPS and save it as .xlsx or CSV", ErrUnsupported)
	case xlsXML:
		return nil, fmt.Errorf("%w: .xls that is an Excel 2003 XML spreadsheet; open it in Excel or WPS and save it as .xlsx or CSV", ErrUnsupported)
	case xlsZip:
		return openXLSX(path, src)
	case xlsHTML:
		return openHTML(path, head[:n], src)
	}
	return openCSV(path, src)
}

// sniffXLS tells what a file named .xls holds from its first bytes.
func sniffXLS(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xd0, 0xcf, 0x11, 0xe0}):
		return xlsBIFF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return xlsZip
	}
	text := head
	if enc := utf16Encoding(head); enc != "" {
		if b, err := io.ReadAll(utf16Text(bytes.NewReader(head[:len(head)&^1]), enc)); err == nil {
			text = b
		}
	}
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
	lower := bytes.ToLower(bytes.TrimLeft(text, " \t\r\n"))
	switch {
	case bytes.HasPrefix(lower, []byte("<?xml")) && bytes.Contains(lower, []byte("urn:schemas-microsoft-com:office:spreadsheet")):
		return xlsXML
	case bytes.HasPrefix(lower, []byte("<")) && bytes.Contains(lower, []byte("<table")):
		return xlsHTML
	case isHTMLStart(lower):
		return xlsHTML
	}
	return xlsText
}

// isHTMLStart says whether text begins as an HTML page does.
func isHTMLStart(lower []byte) bool {
	for _, p := range []string{"<!doctype html", "<html", "<head", "<meta", "<body"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return true
		}
	}
	return strings.HasPrefix(string(lower), "<!--") && bytes.Contains(lower, []byte("<html"))
}
