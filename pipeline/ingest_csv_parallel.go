package pipeline

import (
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"
)

// The delimited reader past the header: one goroutine cuts the file into
// line-aligned blocks (blockSource), workers decode and parse them, each
// with the line rules of ingest_line.go into its own Arrow builder, and
// the reader's goroutine takes their results in the file's order, stores
// them, and settles what crosses a block edge:
//   - a record still open at the end of a block (a quoted field with a
//     line break): the next block is read again by the reader's goroutine,
//     with that record's lines before it;
//   - the document cells that continuation lines take from the line above:
//     a worker does not know the line above its block, so it hands back
//     its first lines, up to the first line that sets the document cells
//     itself (a line with a document number that parses), and the reader's
//     goroutine parses those with the line above; the worker's other lines
//     stand when its state after that line is the one the reader's
//     goroutine reaches, else the block is read again in order;
//   - line numbers: each block knows the number of its first line.
// One worker or many, the result is the same.

// blockResult is what a worker made of one block.
type blockResult struct {
	block   textBlock
	final   bool
	err     error
	lead    []record // the first records, whose parse may need the line above
	settled bool     // a record of the block set the document cells
	anchor  fillState
	end     fillState // after the block's last record
	tail    *textBlock
	batch   *lineBatch
	rejects []Reject
	read    int64
	summary int64
	// summaryRows are the block's first total rows, for the run summary.
	summaryRows []Reject
	rejected    int64
	offset      int64 // the bytes of the file read once the block was
	// startMark is the decimal mark the worker started from.
	startMark DecimalMark
}

// fillState is what a parse takes from the lines above: the document
// cells of the line above, and the decimal mark that decimal: auto
// learned from the first number that showed one.
type fillState struct {
	have                              bool
	docNo, customerCode, customerName string
	date, secs                        int32
	mark                              DecimalMark
}

func stateOf(p *lineParser) fillState {
	if !p.haveLast {
		return fillState{mark: p.mark}
	}
	return fillState{have: true, docNo: p.last.DocNo, customerCode: p.last.CustomerCode, customerName: p.last.CustomerName,
		date: p.last.Date, secs: p.last.Secs, mark: p.mark}
}

func readerWorkers() int {
	if readerTuning.workers > 0 {
		return readerTuning.workers
	}
	return runtime.GOMAXPROCS(0)
}

// readBlocks reads the rest of a delimited sales export.
func (fl *fileLoader) readBlocks(ctx context.Context, r *csvReader, lines *lineWriter, progress func(int64)) error {
	fl.sc = &r.sc
	// In a file without header the first line read sets the number of
	// fields every line must have (checkWidth): the workers need it.
	for fl.p.width == 0 && fl.p.headerAt < 0 {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fl.handle(rec); err != nil {
			return err
		}
	}
	fl.p.settings()
	held, src := r.rest()
	// The blocks and batches in flight are garbage soon after: collect it
	// sooner than the default, which lets the heap grow to twice what is
	// live (10M lines: 1.2 GB peak with it, against 1 GB asked).
	defer debug.SetGCPercent(debug.SetGCPercent(40))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		raw    rawBlock
		text   *textBlock // a block decoded already
		final  bool
		offset int64 // the bytes of the file read once the block was
		out    chan blockResult
	}
	jobs := make(chan job)
	workers := readerWorkers()
	futures := make(chan chan blockResult, 2*workers)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		defer close(futures)
		send := func(j job) bool {
			j.out = make(chan blockResult, 1)
			select {
			case futures <- j.out:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				close(j.out)
				return false
			}
		}
		// The text the reader holds (the lines after the head), in blocks
		// as the file's are, then the file's.
		pieces := cutText(held, src.blockSize())
		for i := range pieces {
			if !send(job{text: &pieces[i], final: src == nil && i == len(pieces)-1, offset: r.Offset()}) {
				return
			}
		}
		for src != nil {
			raw, err := src.nextRaw()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				out := make(chan blockResult, 1)
				out <- blockResult{err: err}
				select {
				case futures <- out:
				case <-ctx.Done():
				}
				return
			}
			if !send(job{raw: raw, final: raw.final, offset: r.Offset()}) {
				return
			}
		}
	})
	base := fl.p
	base.haveLast, base.last = false, SalesLine{}
	for range workers {
		wg.Go(func() {
			w := blockWorker{sc: r.sc, p: base, lb: newLineBuilder(fl.res.FileID)}
			w.sc.cells = nil
			for j := range jobs {
				var res blockResult
				if j.text != nil {
					res = w.run(*j.text, j.final)
				} else {
					res = w.run(decodeBlock(j.raw, r.sc.encoding), j.final)
				}
				res.offset = j.offset
				j.out <- res
			}
		})
	}
	defer func() {
		cancel()
		for j := range jobs {
			close(j.out)
		}
		for f := range futures {
			if res, ok := <-f; ok {
				res.release()
			}
		}
		wg.Wait()
	}()

	var tail *textBlock
	for f := range futures {
		res := <-f
		if res.err != nil {
			return res.err
		}
		if err := ctx.Err(); err != nil {
			res.release()
			return err
		}
		var err error
		tail, err = fl.take(res, tail, lines)
		if err != nil {
			return err
		}
		if progress != nil {
			progress(res.offset) // how far the blocks taken reach, not the reading ahead
		}
	}
	if tail != nil {
		_, err := fl.serial(*tail, true, nil)
		return err
	}
	return nil
}

func (res *blockResult) release() {
	if res.batch != nil {
		res.batch.Release()
		res.batch = nil
	}
}

// take stores a worker's result, after the record left open at the end of
// the block before (tail), and returns the record left open at its end.
func (fl *fileLoader) take(res blockResult, tail *textBlock, lines *lineWriter) (*textBlock, error) {
	// Read again in order: a record ran on into this block, or the line
	// width is not yet known (a file without header: its first line sets it).
	// Or the worker started from another decimal mark than the one the
	// lines above it decided.
	if tail != nil || (fl.p.width == 0 && fl.p.headerAt < 0) || res.startMark != fl.p.mark {
		res.release()
		return fl.serial(res.block, res.final, tail)
	}
	if res.settled {
		// The lead records parsed after the line above must leave the state
		// in which the worker went on; else the worker's lines do not stand.
		probe := fl.p
		for _, rec := range res.lead {
			if rec.Bad == "" && isSummaryRow(rec.Cells, probe.src.schema(), probe.cols) {
				probe.reset()
				continue
			}
			probe.parse(rec)
		}
		if stateOf(&probe) != res.anchor {
			res.release()
			return fl.serial(res.block, res.final, nil)
		}
	}
	for _, rec := range res.lead {
		if err := fl.handle(rec); err != nil {
			res.release()
			return nil, err
		}
	}
	if res.settled {
		fl.p.haveLast, fl.p.mark = res.end.have, res.end.mark
		fl.p.last = SalesLine{DocNo: res.end.docNo, CustomerCode: res.end.customerCode, CustomerName: res.end.customerName,
			Date: res.end.date, Secs: res.end.secs}
	}
	fl.res.Read += res.read
	fl.res.Summary += res.summary
	for _, r := range res.summaryRows {
		if len(fl.res.SummaryRows) < MaxSummaryRows {
			fl.res.SummaryRows = append(fl.res.SummaryRows, r)
		}
	}
	fl.res.Rejected += res.rejected
	for _, rj := range res.rejects {
		if err := fl.rejects.Add(rj); err != nil {
			res.release()
			return nil, err
		}
	}
	if err := lines.take(res.batch); err != nil {
		return nil, err
	}
	return res.tail, nil
}

// serial reads a block in order with the reader's own parser, after the
// record left open before it (tail), and returns the record left open at
// its end.
func (fl *fileLoader) serial(b textBlock, final bool, tail *textBlock) (*textBlock, error) {
	text, line := b.text, b.first
	if tail != nil {
		text, line = tail.text+b.text, tail.first
	}
	sc := fl.sc
	for text != "" {
		rec, n, k, more := sc.scan(text, line, final)
		if more {
			return &textBlock{text: text, first: line}, nil
		}
		text, line = text[n:], line+k
		if rec.Line == 0 {
			continue
		}
		if err := fl.handle(rec); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// blockWorker parses blocks: one per worker goroutine.
type blockWorker struct {
	sc recordScanner
	p  lineParser
	lb *lineBuilder
}

func (w *blockWorker) run(b textBlock, final bool) blockResult {
	res := blockResult{block: b, final: final, startMark: w.p.mark}
	w.lb.reserve(b.lines, len(b.text))
	w.sc.clean = w.sc.cleanText(b.text)
	p := w.p
	leading := p.cols.at(fDocNo) >= 0
	text, line := b.text, b.first
	for text != "" {
		rec, n, k, more := w.sc.scan(text, line, final)
		if more {
			res.tail = &textBlock{text: text, first: line}
			break
		}
		text, line = text[n:], line+k
		if rec.Line == 0 || rec.Bad == "" && p.emptyRow(rec.Cells) {
			continue // a row of empty cells is a blank line, as in handle
		}
		if leading {
			res.lead = append(res.lead, rec.clone())
			if rec.Bad == "" && isSummaryRow(rec.Cells, p.src.schema(), p.cols) {
				p.reset()
				leading = false
			} else if p.parse(rec); p.haveLast {
				leading = false
			}
			if !leading {
				res.settled, res.anchor = true, stateOf(&p)
			}
			continue
		}
		res.read++
		if rec.Bad == "" && isSummaryRow(rec.Cells, p.src.schema(), p.cols) {
			res.summary++
			if len(res.summaryRows) < MaxSummaryRows {
				res.summaryRows = append(res.summaryRows, Reject{Line: rec.Line, Reason: "total row", Raw: strings.Clone(rec.Raw)})
			}
			p.reset()
			continue
		}
		l, reason := p.parse(rec)
		if reason != "" && rec.Bad == "" && p.repeatsHeader(rec.Cells) {
			res.summary++
			if len(res.summaryRows) < MaxSummaryRows {
				res.summaryRows = append(res.summaryRows, Reject{Line: rec.Line, Reason: headerAgain, Raw: strings.Clone(rec.Raw)})
			}
			continue
		}
		if reason != "" {
			res.rejected++
			res.rejects = append(res.rejects, Reject{Line: rec.Line, Reason: reason, Raw: rec.Raw})
			continue
		}
		w.lb.add(&l)
	}
	res.end = stateOf(&p)
	res.batch = w.lb.batch()
	return res
}

// cutText cuts decoded text into blocks of about size bytes, at line ends.
func cutText(b textBlock, size int) []textBlock {
	var out []textBlock
	text, line := b.text, b.first
	for text != "" {
		n := len(text)
		if n > size {
			// The end of the line at size, not inside a \r\n pair.
			n = size
			for n < len(text) && text[n-1] != '\n' && !(text[n-1] == '\r' && text[n] != '\n') {
				n++
			}
		}
		t := textBlock{text: text[:n], first: line, lines: countLines(unsafe.Slice(unsafe.StringData(text), n))}
		out = append(out, t)
		text, line = text[n:], line+t.lines
	}
	return out
}
