package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Limits of the delimited reader.
const (
	maxLineBytes   = 64 << 20 // a longer physical line fails the file
	maxRecordLines = 1000     // a quoted field spanning more lines is an unterminated quote
	sniffLines     = 64
)

var errLineTooLong = errors.New("line longer than 64 MiB")

// record is one logical line of an export: its cells, its first line
// number in the file and its text as read.
type record struct {
	Line  int
	Cells []string
	Raw   string
	Bad   string // set when the line cannot be split; the reason
}

// csvReader yields the records of a delimited export.
type csvReader struct {
	closers  []io.Closer
	lines    *lineScanner
	encoding string // utf-8, utf-8-bom, gbk, gb18030
	delim    byte   // ' ' means whitespace-aligned columns
	pending  []pendingLine
	file     *countReader // the file on disk, counting the bytes read
}

// Offset is the number of bytes of the file on disk read so far (ahead of
// the records returned by the read buffers).
func (r *csvReader) Offset() int64 { return r.file.n }

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type pendingLine struct {
	n    int
	text string
}

// openCSV opens a delimited export, detecting its encoding and delimiter
// unless src sets them.
func openCSV(path string, src Source) (*csvReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := &csvReader{closers: []io.Closer{f}, file: &countReader{r: f}}
	var in io.Reader = bufio.NewReaderSize(r.file, 1<<20)
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz, err := gzip.NewReader(in)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("gzip: %w", err)
		}
		r.closers = append(r.closers, gz)
		in = gz
	}
	br := bufio.NewReaderSize(in, 1<<20)
	head, err := br.Peek(256 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		r.Close()
		return nil, err
	}
	if isBinary(head) {
		r.Close()
		return nil, errors.New("binary content, not a text export")
	}
	r.encoding = src.Encoding
	if r.encoding == "" || r.encoding == "auto" {
		r.encoding = detectEncoding(head)
	}
	var text io.Reader = br
	switch r.encoding {
	case "utf-8", "utf-8-bom":
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
			br.Discard(3)
		}
	case "gbk", "gb18030":
		text = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	r.lines = newLineScanner(text)
	r.delim = delimiters[src.Delimiter]
	if r.delim == 0 {
		var sample []string
		for len(sample) < sniffLines {
			n, line, err := r.lines.next()
			if err != nil {
				break
			}
			r.pending = append(r.pending, pendingLine{n, line})
			if strings.TrimSpace(line) != "" {
				sample = append(sample, line)
			}
		}
		if err := r.lines.err; err != nil && !errors.Is(err, io.EOF) {
			r.Close()
			return nil, err
		}
		r.delim = sniffDelimiter(sample)
	}
	return r, nil
}

// Format says how the file is being read, for the files table and the summary.
func (r *csvReader) Format() string {
	d := map[byte]string{',': "comma", '\t': "tab", ';': "semicolon", '|': "pipe", ' ': "whitespace"}[r.delim]
	return fmt.Sprintf("csv %s %s", r.encoding, d)
}

func (r *csvReader) Close() error {
	var first error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *csvReader) nextLine() (int, string, error) {
	if len(r.pending) > 0 {
		p := r.pending[0]
		r.pending = r.pending[1:]
		return p.n, p.text, nil
	}
	return r.lines.next()
}

// Next returns the next record; io.EOF at the end. Blank lines are skipped.
func (r *csvReader) Next() (record, error) {
	for {
		n, line, err := r.nextLine()
		if err != nil {
			return record{}, err
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec := record{Line: n, Raw: line}
		if bad := r.checkText(line); bad != "" {
			rec.Bad = bad
			return rec, nil
		}
		if r.delim == ' ' {
			rec.Cells = strings.Fields(line)
			return rec, nil
		}
		// A quoted field may hold line breaks: join lines until the quotes close.
		for open := quotesOpen(line, r.delim); open; open = quotesOpen(rec.Raw, r.delim) {
			if strings.Count(rec.Raw, "\n") >= maxRecordLines {
				break
			}
			_, more, err := r.nextLine()
			if err != nil {
				break
			}
			rec.Raw += "\n" + more
		}
		if quotesOpen(rec.Raw, r.delim) {
			// Give back what was joined and reject only the first line.
			rest := strings.Split(rec.Raw, "\n")[1:]
			back := make([]pendingLine, 0, len(rest)+len(r.pending))
			for i, t := range rest {
				back = append(back, pendingLine{n + 1 + i, t})
			}
			r.pending = append(back, r.pending...)
			rec.Raw = line
			rec.Bad = "unterminated quote"
			return rec, nil
		}
		if bad := r.checkText(rec.Raw); bad != "" {
			rec.Bad = bad
			return rec, nil
		}
		rec.Cells = splitFields(rec.Raw, r.delim)
		return rec, nil
	}
}

// checkText finds what makes a line unreadable in the file's encoding.
func (r *csvReader) checkText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "NUL byte in line"
	}
	switch r.encoding {
	case "utf-8", "utf-8-bom":
		if !utf8.ValidString(s) {
			return "invalid UTF-8 text (is the file GBK? set encoding)"
		}
	default:
		if strings.ContainsRune(s, utf8.RuneError) {
			return "invalid " + strings.ToUpper(r.encoding) + " text (is the file UTF-8? set encoding)"
		}
	}
	if strings.ContainsRune(s, '\ufeff') {
		return "byte order mark inside the line"
	}
	return ""
}

func isBinary(head []byte) bool {
	if len(head) > 8192 {
		head = head[:8192]
	}
	// Gzip, zip (xlsx), OLE (xls) and similar magic numbers, or many NULs.
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("PK\x03\x04"), {0xd0, 0xcf, 0x11, 0xe0}, []byte("PAR1")} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return bytes.Count(head, []byte{0}) > len(head)/10+1
}

// detectEncoding picks UTF-8 when the sample is valid UTF-8, or when more
// of its non-ASCII lines are valid UTF-8 than not (a UTF-8 export with a
// few lines pasted in from GBK: those lines are rejected, the rest load);
// else GB18030 (a superset of GBK). A sample cut inside a character still
// counts as valid.
func detectEncoding(head []byte) string {
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		return "utf-8-bom"
	}
	sample := head
	for i := 0; i < utf8.UTFMax && len(sample) > 0 && !utf8.Valid(sample); i++ {
		sample = sample[:len(sample)-1]
	}
	if utf8.Valid(sample) {
		return "utf-8"
	}
	valid, invalid := 0, 0
	lines := bytes.FieldsFunc(head, func(r rune) bool { return r == '\n' || r == '\r' })
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last may be cut
	}
	for _, l := range lines {
		switch {
		case !utf8.Valid(l):
			invalid++
		case bytes.ContainsFunc(l, func(r rune) bool { return r >= utf8.RuneSelf }):
			valid++
		}
	}
	if valid > invalid {
		return "utf-8"
	}
	// Four-byte GB18030 sequences have a digit as second byte.
	for i := 0; i+3 < len(head); i++ {
		if head[i] >= 0x81 && head[i] <= 0xfe {
			if head[i+1] >= '0' && head[i+1] <= '9' {
				return "gb18030"
			}
			i++
		}
	}
	return "gbk"
}

// sniffDelimiter chooses the delimiter that splits the most sample lines
// into the same number of fields (more than one).
func sniffDelimiter(sample []string) byte {
	best, bestScore := byte(','), 0
	for _, d := range []byte{',', '\t', ';', '|', ' '} {
		counts := map[int]int{}
		for _, line := range sample {
			var n int
			if d == ' ' {
				n = len(strings.Fields(line))
			} else {
				n = len(splitFields(line, d))
			}
			if n > 1 {
				counts[n]++
			}
		}
		score := 0
		for n, c := range counts {
			if s := c * min(n, 8); s > score {
				score = s
			}
		}
		if d == ' ' {
			score /= 2 // whitespace only when nothing else splits well
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// quotesOpen says whether a record text ends inside a quoted field.
func quotesOpen(s string, delim byte) bool {
	in := false
	atStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in:
			if c == '"' {
				if i+1 < len(s) && s[i+1] == '"' {
					i++
				} else {
					in = false
				}
			}
		case c == '"' && atStart:
			in = true
		case c == delim || c == '\n':
			atStart = true
			continue
		case c == ' ' && atStart:
			continue
		}
		atStart = false
	}
	return in
}

// splitFields splits one record of RFC 4180 text. Quotes count only at the
// start of a field; a stray quote elsewhere is kept as text.
func splitFields(s string, delim byte) []string {
	fields := make([]string, 0, 16)
	for {
		// Skip spaces before an opening quote.
		j := 0
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '"' {
			var b strings.Builder
			i := j + 1
			for i < len(s) {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			// Text after the closing quote up to the delimiter joins the field.
			k := strings.IndexByte(s[i:], delim)
			if k < 0 {
				b.WriteString(strings.TrimSpace(s[i:]))
				fields = append(fields, b.String())
				return fields
			}
			b.WriteString(strings.TrimSpace(s[i : i+k]))
			fields = append(fields, b.String())
			s = s[i+k+1:]
			continue
		}
		k := strings.IndexByte(s, delim)
		if k < 0 {
			fields = append(fields, s)
			return fields
		}
		fields = append(fields, s[:k])
		s = s[k+1:]
	}
}

// lineScanner splits text at \r\n, \n or a lone \r and numbers the lines.
type lineScanner struct {
	sc  *bufio.Scanner
	n   int
	err error
}

func newLineScanner(r io.Reader) *lineScanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLineBytes)
	sc.Split(splitLines)
	return &lineScanner{sc: sc}
}

func (l *lineScanner) next() (int, string, error) {
	if l.err != nil {
		return 0, "", l.err
	}
	if !l.sc.Scan() {
		l.err = l.sc.Err()
		if errors.Is(l.err, bufio.ErrTooLong) {
			l.err = fmt.Errorf("line %d: %w", l.n+1, errLineTooLong)
		}
		if l.err == nil {
			l.err = io.EOF
		}
		return 0, "", l.err
	}
	l.n++
	return l.n, l.sc.Text(), nil
}

func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0:
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	case data[i] == '\n':
		return i + 1, data[:i], nil
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	case atEOF:
		return i + 1, data[:i], nil
	}
	return 0, nil, nil // need one more byte to tell \r\n from \r
}
