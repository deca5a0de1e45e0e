package pipeline

import (
	"math/rand/v2"
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
