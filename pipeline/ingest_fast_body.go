package pipeline

// The body of a plain export as the fast path's read_csv reads it: Go
// reads the export once (decoding GBK in parallel), checks that read_csv
// and the Go parser would see the same lines (plainCheck), and writes each
// line with the fields that free the SQL from the file's order
// (segmentWriter). See ingest_fast.go and sql/ingest_fast.sql.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// sqlBlank says whether a line is blank as the SQL reads it: nothing but
// spaces, in one field or, with a tab delimiter, in any number.
func sqlBlank(line []byte, delim byte) bool {
	return len(bytes.TrimSpace(line)) == 0 && (delim == '\t' || bytes.IndexByte(line, delim) < 0)
}

// segmentWriter writes the body of an export (the lines below the header,
// without the empty lines at the end) for read_csv, each line with four
// leading fields: its line number, how far above it its head is (the last
// line at or above it whose document cells are not all blank; -1 above the
// first), how far above the head the head before it is, and 1 for a
// continuation line, one whose document cells are
// all blank, which it fills with the raw cells of the head. An export
// without document numbers has no continuation lines: each record is a
// head. See sql/ingest_fast.sql.
type segmentWriter struct {
	w       *bufio.Writer
	delim   byte
	skip    int   // the lines above the body
	doc     []int // the cells of the date, document number, customer code and name
	hasDoc  bool
	line    int    // the lines begun
	rows    int    // the lines written
	empty   int    // empty lines held back: written only when text follows
	partial []byte // the start of a line the last write cut
	head    int
	prev    int
	cells   [][]byte // the document cells of the head
	ends    []int    // the ends of the first cells of the line (split)
	heads   []int32  // the head lines
	starts  []int64  // the offset of each head line in the text
	bodyAt  int64    // the offset of the first line of the body
	at      int64    // the offset of the line being read
	buf     []byte
}

func newSegmentWriter(w io.Writer, p *lineParser, delim byte) *segmentWriter {
	s := &segmentWriter{w: bufio.NewWriterSize(w, 1<<20), delim: delim, skip: p.headerLine,
		hasDoc: p.cols[fDocNo] >= 0, head: -1, prev: -1}
	for _, f := range []int{fDate, fDocNo, fCustomerCode, fCustomerName} {
		if i := p.cols[f]; i >= 0 {
			s.doc = append(s.doc, i)
		}
	}
	s.cells = make([][]byte, len(s.doc))
	if len(s.doc) > 0 {
		s.ends = make([]int, slices.Max(s.doc)+1)
	}
	return s
}

func (s *segmentWriter) Write(b []byte) (int, error) {
	n := len(b)
	if len(s.partial) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			return n, nil
		}
		s.partial = append(s.partial, b[:i]...)
		if err := s.lineDone(s.partial); err != nil {
			return 0, err
		}
		s.partial = s.partial[:0]
		b = b[i+1:]
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			return n, nil
		}
		if err := s.lineDone(b[:i]); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
}

// Close writes the last line, if it has no line end, and flushes.
func (s *segmentWriter) Close() error {
	if len(s.partial) > 0 {
		if err := s.lineDone(s.partial); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

func (s *segmentWriter) lineDone(line []byte) error {
	s.line++
	start := s.at
	s.at += int64(len(line)) + 1
	if s.line <= s.skip {
		s.bodyAt = s.at
		return nil
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		s.empty++ // an empty line: the end of the file, or not a plain file
		return nil
	}
	if s.empty > 0 {
		return errNotPlain // an empty line with text below it
	}
	cont := false
	if !sqlBlank(line, s.delim) {
		s.split(line)
		cont = s.hasDoc && s.blankDoc(line)
		if !cont {
			s.heads = append(s.heads, int32(s.line))
			s.starts = append(s.starts, start)
			s.prev, s.head = s.head, s.line
			for k, i := range s.doc {
				s.cells[k] = append(s.cells[k][:0], s.cell(line, i)...)
			}
		}
	}
	b := strconv.AppendInt(s.buf[:0], int64(s.line), 10)
	b = append(b, s.delim)
	b = strconv.AppendInt(b, int64(s.line-s.head), 10)
	b = append(b, s.delim)
	b = strconv.AppendInt(b, int64(s.head-s.prev), 10)
	b = append(b, s.delim)
	if cont {
		b = append(b, '1', s.delim)
		b = s.fill(b, line)
	} else {
		b = append(b, '0', s.delim)
		b = append(b, line...)
	}
	b = append(b, '\n')
	s.buf = b
	s.rows++
	_, err := s.w.Write(b)
	return err
}

// split finds the first cells of a line, up to the last document cell:
// s.ends[i] is the offset after cell i, or -1 when the line has fewer.
func (s *segmentWriter) split(line []byte) {
	at := 0
	for i := range s.ends {
		if at < 0 {
			s.ends[i] = -1
			continue
		}
		j := bytes.IndexByte(line[at:], s.delim)
		if j < 0 {
			s.ends[i] = len(line)
			at = -1
			continue
		}
		s.ends[i] = at + j
		at += j + 1
	}
}

// cell returns cell i of the line split last (nil when it has fewer).
func (s *segmentWriter) cell(line []byte, i int) []byte {
	if s.ends[i] < 0 {
		return nil
	}
	start := 0
	if i > 0 {
		start = s.ends[i-1] + 1
	}
	return line[start:s.ends[i]]
}

// blankDoc says whether the document cells of the line split last are all blank.
func (s *segmentWriter) blankDoc(line []byte) bool {
	for _, i := range s.doc {
		if len(bytes.TrimSpace(s.cell(line, i))) > 0 {
			return false
		}
	}
	return true
}

// fill appends the line split last with its document cells replaced by the
// head's. A line too short to hold them all is appended as it is: it
// cannot settle.
func (s *segmentWriter) fill(b, line []byte) []byte {
	last := len(s.ends) - 1
	if s.head < 0 || s.ends[last] < 0 {
		return append(b, line...)
	}
	for i := 0; i <= last; i++ {
		if k := slices.Index(s.doc, i); k >= 0 {
			b = append(b, s.cells[k]...)
		} else {
			b = append(b, s.cell(line, i)...)
		}
		if i < last {
			b = append(b, s.delim)
		}
	}
	return append(b, line[s.ends[last]:]...)
}

// errNotPlain stops the reading of a file the fast path cannot take.
var errNotPlain = errors.New("not a plain text export")

// plainCheck reads a UTF-8 text and says whether read_csv and the Go
// parser see the same lines in it: no NUL, quote or fastNull byte, no byte
// order mark but at the start, no U+FFFD (a byte the decoder could not
// read), one line end throughout, blank lines only at the end.
type plainCheck struct {
	n        int64  // bytes seen
	tail     []byte // the last bytes seen, for patterns across writes
	edge     []byte // tail and the first bytes of the next write
	lf, cr   int    // line feeds and carriage returns
	crlf     int    // CR LF pairs
	bad      bool
	tab      bool  // a tab seen
	space    bool  // another space character than ' ' and tab seen
	empty    int64 // offset of the first empty line, or 0
	lastText int64 // offset after the last byte that is not a line end
}

func (c *plainCheck) Write(b []byte) (int, error) {
	if c.bad {
		return 0, errNotPlain
	}
	if len(b) == 0 {
		return 0, nil
	}
	if bytes.IndexByte(b, 0) >= 0 || bytes.IndexByte(b, '"') >= 0 || bytes.IndexByte(b, fastNull[0]) >= 0 {
		c.bad = true
	}
	// Patterns of up to three bytes may straddle two writes: they are looked
	// for in the last two bytes before b and the first two of b, then in b.
	// (Looking in tail+b whole copied every block: a quarter of the check.)
	edge := append(append(c.edge[:0], c.tail...), b[:min(len(b), 2)]...)
	c.edge = edge
	c.patterns(edge, c.n-int64(len(c.tail)))
	c.patterns(b, c.n)
	if !c.tab && bytes.IndexByte(b, '\t') >= 0 {
		c.tab = true
	}
	c.lf += bytes.Count(b, []byte{'\n'})
	c.cr += bytes.Count(b, []byte{'\r'})
	c.crlf += bytes.Count(b, []byte("\r\n"))
	if len(c.tail) > 0 && c.tail[len(c.tail)-1] == '\r' && b[0] == '\n' {
		c.crlf++
	}
	if c.n == 0 && (b[0] == '\n' || b[0] == '\r') {
		c.bad = true // the first line is empty
	}
	if i := bytes.LastIndexFunc(b, func(r rune) bool { return r != '\n' && r != '\r' }); i >= 0 {
		c.lastText = c.n + int64(i) + 1
	}
	c.n += int64(len(b))
	if len(b) >= 2 {
		c.tail = append(c.tail[:0], b[len(b)-2:]...)
	} else {
		c.tail = append(c.tail[:0], edge[max(0, len(edge)-2):]...)
	}
	return len(b), nil
}

// patterns looks in w, which starts at offset base of the text, for a byte
// order mark past the start, a U+FFFD, a space character other than ' ',
// and an empty line.
func (c *plainCheck) patterns(w []byte, base int64) {
	for i := 0; ; {
		j := bytes.IndexByte(w[i:], 0xef)
		if j < 0 || i+j+2 >= len(w) {
			break
		}
		i += j
		if (w[i+1] == 0xbb && w[i+2] == 0xbf && base+int64(i) > 0) || (w[i+1] == 0xbf && w[i+2] == 0xbd) {
			c.bad = true
			break
		}
		i++
	}
	if !c.space && hasSpace(w) {
		c.space = true
	}
	if c.empty == 0 || base < c.empty {
		for _, pat := range []string{"\n\n", "\n\r\n"} {
			if i := bytes.Index(w, []byte(pat)); i >= 0 && (c.empty == 0 || base+int64(i)+1 < c.empty) {
				c.empty = base + int64(i) + 1
			}
		}
	}
}

// spaces says whether the text holds a character Go's TrimSpace trims
// other than ' ' and line ends (a tab counts unless it is the delimiter).
func (c *plainCheck) spaces(delim byte) bool {
	return c.space || c.tab && delim != '\t'
}

// hasSpace finds \v, \f and the non-ASCII space characters in UTF-8.
func hasSpace(b []byte) bool {
	if bytes.IndexByte(b, '\v') >= 0 || bytes.IndexByte(b, '\f') >= 0 {
		return true
	}
	for _, lead := range []byte{0xc2, 0xe1, 0xe2, 0xe3} {
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], lead)
			if j < 0 {
				break
			}
			i += j
			if i+1 < len(b) {
				r, _ := utf8.DecodeRune(b[i:])
				if unicode.IsSpace(r) {
					return true
				}
			}
			i++
		}
	}
	return false
}

// result returns the number of lines, the blank lines at the end, and
// whether the text is plain.
func (c *plainCheck) result() (lines, trailing int, ok bool) {
	if c.bad || c.n == 0 {
		return 0, 0, false
	}
	// One line end throughout: all CR LF, or no CR at all.
	if c.cr != 0 && (c.cr != c.crlf || c.lf != c.crlf) {
		return 0, 0, false
	}
	if c.empty != 0 && c.empty < c.lastText {
		return 0, 0, false // a blank line with text below it
	}
	if c.lastText == 0 {
		return 0, 0, false // nothing but line ends
	}
	lines = c.lf
	if c.tail[len(c.tail)-1] != '\n' {
		lines++ // the last line has no line end
	}
	return lines, c.trailingEnds(), true
}

// trailingEnds counts the empty lines after the last line of text: the
// line ends after it, less the one that ends that line.
func (c *plainCheck) trailingEnds() int {
	after := c.n - c.lastText // bytes of line ends at the end
	if c.cr != 0 {
		after /= 2
	}
	if after == 0 {
		return 0
	}
	return int(after) - 1
}

// readBlocks writes a file to w in blocks of 4 MiB, each a slice from
// buffer that w may keep (an asyncWriter keeps them until written).
func readBlocks(path string, w io.Writer, buffer func() []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		buf := buffer()
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// asyncWriter writes to w in a goroutine of its own. It keeps the slices
// it is given, which the caller must not change afterwards; Close waits
// for the writes and returns the first error. A slice it has written goes
// back to buffer, so that a reader need not allocate one per block (the
// garbage of a new 4 MiB block each time cost a sixth of the check).
type asyncWriter struct {
	blocks chan []byte
	free   chan []byte
	done   chan error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{blocks: make(chan []byte, 4), free: make(chan []byte, 8), done: make(chan error, 1)}
	go func() {
		var err error
		for b := range a.blocks {
			if err == nil {
				_, err = w.Write(b)
			}
			select {
			case a.free <- b[:cap(b)]:
			default:
			}
		}
		a.done <- err
	}()
	return a
}

// buffer returns a block of 4 MiB to fill, one written before if any.
func (a *asyncWriter) buffer() []byte {
	select {
	case b := <-a.free:
		if len(b) == 4<<20 {
			return b
		}
	default:
	}
	return make([]byte, 4<<20)
}

func (a *asyncWriter) Write(b []byte) (int, error) {
	a.blocks <- b
	return len(b), nil
}

func (a *asyncWriter) Close() error {
	close(a.blocks)
	return <-a.done
}

// decodeGB18030 decodes a GBK or GB18030 export to w as UTF-8, blocks of
// lines in parallel (a GB18030 character never holds the byte of a line
// feed, so a block cut after one decodes as in the whole file).
func decodeGB18030(ctx context.Context, path string, w io.Writer) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	type block struct {
		src  []byte
		done chan []byte
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan block, workers)
	order := make(chan block, 2*workers)
	for range workers {
		go func() {
			for b := range jobs {
				text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b.src)
				if err != nil {
					text = nil // cannot happen: the decoder replaces what it cannot read
				}
				b.done <- text
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		var carry []byte
		for {
			if ctx.Err() != nil {
				readErr <- ctx.Err()
				return
			}
			buf := make([]byte, len(carry)+4<<20)
			copy(buf, carry)
			n, err := io.ReadFull(in, buf[len(carry):])
			buf = buf[:len(carry)+n]
			end := len(buf)
			last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
			if err != nil && !last {
				readErr <- err
				return
			}
			if !last {
				end = bytes.LastIndexByte(buf, '\n') + 1
				if end == 0 {
					end = len(buf) // a line of more than a block: decode it whole below
					if len(buf) > maxLineBytes {
						readErr <- errLineTooLong
						return
					}
					carry = buf
					continue
				}
			}
			carry = append([]byte(nil), buf[end:]...)
			b := block{src: buf[:end], done: make(chan []byte, 1)}
			jobs <- b
			order <- b
			if last {
				readErr <- nil
				return
			}
		}
	}()
	var werr error
	for b := range order {
		text := <-b.done
		if werr == nil {
			_, werr = w.Write(text)
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	return werr
}
