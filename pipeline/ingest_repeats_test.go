package pipeline

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every hash that comes a second time is one the filter may have seen:
// MarkDuplicates counts only those, so a miss would load a duplicate. Of
// the hashes that come once, few are taken for repeats.
func TestRepeatFilterFlagsEveryRepeat(t *testing.T) {
	const n = 200_000
	r := rand.New(rand.NewPCG(1, 2))
	hashes := make([]uint64, n)
	repeats := map[int]bool{}
	for i := range hashes {
		hashes[i] = r.Uint64()
		if i > 0 && r.IntN(100) == 0 { // a hash of an earlier line again
			hashes[i], repeats[i] = hashes[r.IntN(i)], true
		}
	}
	f := newRepeatFilter(n)
	flagged := 0
	for i, h := range hashes {
		seen := f.seen(h)
		if repeats[i] && !seen {
			t.Fatalf("hash %d at %d comes again but the filter has not seen it", h, i)
		}
		if seen && !repeats[i] {
			flagged++
		}
	}
	if share := float64(flagged) / n; share > 0.05 {
		t.Errorf("%.1f%% of the hashes that come once are taken for repeats, want at most 5%%", 100*share)
	}
}

// Exact repeats of lines far above them, in other blocks and other
// workers' hands, are found, every one; lines that differ from an earlier
// one in a single cell are not taken for repeats; and documents of many
// lines keep their lines.
func TestRepeatsFarApart(t *testing.T) {
	const n = 60_000
	r := rand.New(rand.NewPCG(3, 4))
	var lines []string
	for i := range n {
		// Documents of one to three lines.
		doc := i - i%3*(i%2)
		lines = append(lines, fmt.Sprintf("2024-%02d-%02d,XS%06d,C%04d,客户%d,I%d,%d,%d.%02d", 1+i%12, 1+i%28, doc, i%997, i%997, i%50, 1+i%9, i%500, i%100))
	}
	want := 0
	for range 400 {
		j := r.IntN(len(lines))
		lines = append(lines, lines[j]) // the same line again, later
		want++
	}
	for _, j := range r.Perm(n)[:300] { // each line once: two alike would be a repeat
		lines = append(lines, strings.Replace(lines[j], ",I", ",J", 1)) // another item: another line
	}
	export := "日期,单据编号,客户编码,客户名称,商品编码,数量,价税合计\n" + strings.Join(lines, "\n") + "\n"
	for _, tune := range []tuning{{}, {blockBytes: 4096, workers: 2}, {serial: true}} {
		t.Run(fmt.Sprintf("%+v", tune), func(t *testing.T) {
			setTuning(t, tune)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte(export), 0o644); err != nil {
				t.Fatal(err)
			}
			res, _ := loadInbox(t, dir, "")
			f := res.Files[0]
			if f.Status != "loaded" || f.Read != int64(len(lines)) || f.Duplicate != int64(want) || f.Loaded != int64(len(lines)-want) {
				t.Errorf("a.csv: %s %q, read %d, duplicate %d, loaded %d; want read %d, duplicate %d", f.Status, f.Reason, f.Read, f.Duplicate, f.Loaded, len(lines), want)
			}
		})
	}
}
