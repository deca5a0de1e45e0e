package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// EncodingHint says, for an export whose source forces an encoding, the
// first line that does not fit it and what that line reads as in the
// encoding that fits: "line 2 is not UTF-8; read as GBK it is
// 2024-10-01,D1,C1,甲公司,100; set encoding: gbk (or auto)". It returns ""
// when the encoding is not forced or the file fits it.
func EncodingHint(path string, src Source) string {
	if src.Encoding != "utf-8" && src.Encoding != "utf-8-bom" && src.Encoding != "gbk" && src.Encoding != "gb18030" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan() && n <= 100000; n++ {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		switch src.Encoding {
		case "utf-8", "utf-8-bom":
			if utf8.Valid(line) {
				continue
			}
			gbk, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
			return fmt.Sprintf("line %d is not %s, which the source's encoding forces; read as GBK it is %q: set encoding: gbk (or auto)", n, src.Encoding, clipTo(string(gbk), 160))
		default:
			if !utf8.Valid(line) || isASCII(line) {
				continue
			}
			// Valid UTF-8 with non-ASCII text: read as GBK it is mojibake.
			gbk, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
			return fmt.Sprintf("line %d is UTF-8, not %s, which the source's encoding forces: read as %s it is %q, as UTF-8 %q: set encoding: utf-8 (or auto)",
				n, src.Encoding, src.Encoding, clipTo(string(gbk), 160), clipTo(string(line), 160))
		}
	}
	return ""
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// sheetHint adds, to a header that was not found in a workbook, the sheet
// that was read and the others it has: the header is often on another.
func sheetHint(rr recordReader, src Source, err error) error {
	x, ok := rr.(*xlsxReader)
	if !ok {
		return err
	}
	var others []string
	for _, s := range x.f.GetSheetList() {
		if s != x.sheet {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		return fmt.Errorf("%w (sheet %s, the only one)", err, x.sheet)
	}
	return fmt.Errorf("%w; sheet %s was read, and the workbook also has: %s; if the header is on one of them, set sheet under sources (name: %s)",
		err, x.sheet, strings.Join(others, ", "), src.Name)
}

// clipTo cuts s to at most n bytes, on a character boundary.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// missingColumnHint says, for a header that lacks a field, the header that
// was found and the aliases that were tried for each missing field.
func missingColumnHint(cells []string, src Source, m columnMap) string {
	aliases := headerAliases
	if src.Kind == KindCustomers {
		aliases = customerAliases
	}
	var tried []string
	for _, field := range src.schema().needs(m) {
		for _, f := range strings.FieldsFunc(field, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_') }) {
			if a, ok := aliases[f]; ok {
				tried = append(tried, fmt.Sprintf("%s: %s", f, strings.Join(a, ", ")))
			}
		}
	}
	var header []string
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			header = append(header, c)
		}
	}
	s := "the header found: " + strings.Join(header, ", ")
	if len(tried) > 0 {
		s += "; the names tried (ignoring case, spaces and full-width forms): " + strings.Join(tried, "; ")
	}
	return s
}
