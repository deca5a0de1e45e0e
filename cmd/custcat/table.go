package main

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// table lays text out in columns by display width. A Chinese character
// takes two terminal cells, which text/tabwriter does not know, so file
// and customer names would push their rows out of line.
type table struct {
	rows  [][]string
	right map[int]bool // columns aligned right (numbers)
}

func newTable(rightCols ...int) *table {
	t := &table{right: map[int]bool{}}
	for _, c := range rightCols {
		t.right[c] = true
	}
	return t
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the rows, each after indent, columns two cells apart, with
// no trailing spaces.
func (t *table) write(w io.Writer, indent string) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-runewidth.StringWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		io.WriteString(w, strings.TrimRight(b.String(), " ")+"\n")
	}
}
