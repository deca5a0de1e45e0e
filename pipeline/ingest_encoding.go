package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
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
			return fmt.Sprintf("line %d is not %s, which the source's encoding forces; read as GBK it is %q: set encoding: gbk (or auto)", n, src.Encoding, clip(string(gbk)))
		default:
			if !utf8.Valid(line) || isASCII(line) {
				continue
			}
			// Valid UTF-8 with non-ASCII text: read as GBK it is mojibake.
			gbk, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
			return fmt.Sprintf("line %d is UTF-8, not %s, which the source's encoding forces: read as %s it is %q, as UTF-8 %q: set encoding: utf-8 (or auto)",
				n, src.Encoding, src.Encoding, clip(string(gbk)), clip(string(line)))
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
