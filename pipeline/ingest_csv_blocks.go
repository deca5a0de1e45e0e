package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// blockBytes is how many bytes of an export one block holds, about: the
// unit the workers of the delimited reader take (readerTuning).
const blockBytes = 4 << 20

// readerTuning sets the block size and the number of workers of the
// delimited reader; zero means the default. Tests set it, to cut files
// into tiny blocks and to compare one worker with several.
var readerTuning struct {
	blockBytes int
	workers    int
	serial     bool // read record by record only, as the head is
}

// rawBlock is a run of whole lines of an export as stored (gzip undone):
// it ends after a line end, or at the end of the file.
type rawBlock struct {
	data  []byte
	first int  // the number of its first line
	lines int  // the physical lines it holds
	final bool // the last block of the file
}

// textBlock is a run of whole lines decoded to UTF-8.
type textBlock struct {
	text  string
	first int
	lines int
}

// blockSource cuts an export into line-aligned blocks. Line ends are
// ASCII bytes that no GBK or GB18030 character holds, so each block
// decodes alone; a block never ends inside a \r\n pair.
type blockSource struct {
	r     io.Reader
	enc   string
	size  int
	carry []byte // the bytes after the last line end read
	eof   bool
	line  int // the number of the next block's first line
}

func newBlockSource(r io.Reader, enc string) *blockSource {
	return &blockSource{r: r, enc: enc, size: (*blockSource)(nil).blockSize(), line: 1}
}

// blockSize is the size of the blocks s cuts (of any reader, s nil or not).
func (s *blockSource) blockSize() int {
	if s != nil {
		return s.size
	}
	if readerTuning.blockBytes > 0 {
		return readerTuning.blockBytes
	}
	return blockBytes
}

// nextRaw returns the next block as stored; io.EOF after the last.
func (s *blockSource) nextRaw() (rawBlock, error) {
	need := max(s.size, 1)
	buf := make([]byte, len(s.carry), max(len(s.carry), need))
	copy(buf, s.carry)
	s.carry = nil
	for {
		// Read until the buffer holds a block's worth, or the file ends.
		// (No more than that: a block's size ends where it says, which the
		// tests of block edges rely on.)
		if cap(buf) < need {
			buf = slices.Grow(buf, need-len(buf))
		}
		for !s.eof && len(buf) < need {
			n, err := s.r.Read(buf[len(buf):need])
			buf = buf[:len(buf)+n]
			if errors.Is(err, io.EOF) {
				s.eof = true
			} else if err != nil {
				return rawBlock{}, err
			}
		}
		cut := lineCut(buf)
		if s.eof {
			if len(buf) == 0 {
				return rawBlock{}, io.EOF
			}
			if len(buf)-max(cut, 0) > maxLineBytes {
				return rawBlock{}, fmt.Errorf("line %d: %w", s.line+countLines(buf[:max(cut, 0)]), errLineTooLong)
			}
			cut = len(buf)
		}
		if cut < 0 {
			// One line longer than a block: read on, up to the limit.
			if len(buf) > maxLineBytes {
				return rawBlock{}, fmt.Errorf("line %d: %w", s.line, errLineTooLong)
			}
			need = len(buf) + max(s.size, len(buf)/2)
			continue
		}
		s.carry = append([]byte(nil), buf[cut:]...)
		b := rawBlock{data: buf[:cut:cut], first: s.line, lines: countLines(buf[:cut]), final: s.eof && len(s.carry) == 0}
		s.line += b.lines
		return b, nil
	}
}

// next returns the next block decoded; io.EOF after the last.
func (s *blockSource) next() (textBlock, error) {
	b, err := s.nextRaw()
	if err != nil {
		return textBlock{}, err
	}
	return decodeBlock(b, s.enc), nil
}

// decodeBlock decodes a block of GBK or GB18030 text; UTF-8 is taken as it is.
func decodeBlock(b rawBlock, enc string) textBlock {
	data := b.data
	if enc == "gbk" || enc == "gb18030" {
		// Invalid bytes become U+FFFD, which the line check rejects.
		data, _ = simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	}
	// The block's bytes are not written again: the text may share them.
	return textBlock{text: unsafe.String(unsafe.SliceData(data), len(data)), first: b.first, lines: b.lines}
}

// lineCut is where a block of buf may end: after its last line end that
// is not a \r which a \n may follow; -1 if there is none.
func lineCut(buf []byte) int {
	if len(buf) == 0 {
		return -1
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		return i + 1
	}
	if i := bytes.LastIndexByte(buf[:len(buf)-1], '\r'); i >= 0 {
		return i + 1
	}
	return -1
}

// countLines counts the physical lines of b: its line ends (\r\n, \n, a
// lone \r), and a last line without one.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if bytes.IndexByte(b, '\r') >= 0 {
		n += bytes.Count(b, []byte{'\r'}) - bytes.Count(b, []byte("\r\n"))
	}
	if len(b) > 0 && b[len(b)-1] != '\n' && b[len(b)-1] != '\r' {
		n++
	}
	return n
}
