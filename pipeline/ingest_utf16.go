package pipeline

import (
	"bytes"
	"fmt"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Exports saved on Windows as UTF-16 text, as Excel's "Unicode 文本"
// (Unicode Text) writes them: little-endian with a byte order mark, cells
// separated by tabs. They are decoded to UTF-8 ahead of the delimited
// reader, which then reads them like any text export.

// utf16Encoding names the UTF-16 encoding whose byte order mark starts
// head: utf-16le, utf-16be, or "" for none. Without the mark a UTF-16 file
// is not told from binary content.
func utf16Encoding(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return "utf-16le"
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "utf-16be"
	}
	return ""
}

// utf16Text decodes UTF-16 text of the named encoding to UTF-8 and drops
// its byte order mark. A lone surrogate becomes U+FFFD, which the reader
// rejects as text not valid in the file's encoding.
func utf16Text(r io.Reader, enc string) io.Reader {
	order := unicode.LittleEndian
	if enc == "utf-16be" {
		order = unicode.BigEndian
	}
	return transform.NewReader(r, unicode.UTF16(order, unicode.ExpectBOM).NewDecoder())
}

// utf16Mismatch is the error for a UTF-16 file whose source sets another
// encoding: read so, it would be binary.
func utf16Mismatch(enc, set string, src Source) error {
	return fmt.Errorf("the file is %s text (it starts with that byte order mark), but source %s sets encoding %s; set encoding: auto",
		enc, src.Name, set)
}
