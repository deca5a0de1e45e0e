package pipeline

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Reasons a value does not parse; they become the reason of a rejected line.
var (
	ErrEmpty       = errors.New("empty")
	ErrBadDate     = errors.New("not a date")
	ErrDateRange   = errors.New("date out of range 1900..2199")
	ErrBadNumber   = errors.New("not a number")
	ErrNumberRange = errors.New("number out of range")
)

// maxAmount bounds amounts: DECIMAL(18,2) holds less than 1e16, and no
// sales line of a small firm comes near 1e13.
const maxAmount = 1e13

// ParseDate reads the dates ERP exports write: 2024-10-07, 2024/10/7,
// 2024.10.7, 20241007, 2024年10月7日, each optionally followed by a time
// (2024-12-04T00:00:00, 2024-10-07 08:26:00). It returns days since 1970-01-01.
func ParseDate(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrEmpty
	}
	// The fast path: ISO dates, the most common by far.
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' && (len(s) == 10 || s[10] == ' ' || s[10] == 'T') {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 {
			return civilDays(y, m, d)
		}
	}
	if !utf8.ValidString(s) {
		return 0, ErrBadDate
	}
	s = width.Narrow.String(s)
	// Cut a time part.
	if i := strings.IndexAny(s, "T "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, "日")
	s = strings.NewReplacer("年", "-", "月", "-", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(s, "-")
	if len(parts) == 1 && len(s) == 8 {
		parts = []string{s[0:4], s[4:6], s[6:8]}
	}
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) == 0 || len(parts[1]) > 2 || len(parts[2]) == 0 || len(parts[2]) > 2 {
		return 0, ErrBadDate
	}
	y, ok1 := digits(parts[0])
	m, ok2 := digits(parts[1])
	d, ok3 := digits(parts[2])
	if !ok1 || !ok2 || !ok3 {
		return 0, ErrBadDate
	}
	return civilDays(y, m, d)
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func civilDays(y, m, d int) (int32, error) {
	if y < 1900 || y > 2199 {
		return 0, ErrDateRange
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, ErrBadDate
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2024-02-30 and the like
		return 0, ErrBadDate
	}
	return int32(t.Unix() / 86400), nil
}

// DateString formats days since 1970-01-01 as YYYY-MM-DD.
func DateString(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format(time.DateOnly)
}

// ParseAmount reads the numbers ERP exports write: 1,234.50, ¥1234.5,
// ￥１２３４．５, (12.00) and 12.00- for negatives, 1.5e3. Empty text
// gives ErrEmpty.
func ParseAmount(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && plain(s) {
		return checkRange(v)
	}
	if !utf8.ValidString(s) {
		return 0, ErrBadNumber
	}
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', ' ', '\u00a0', '\u3000', '\'', '_':
			return -1
		}
		return r
	}, s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	if strings.HasSuffix(s, "-") {
		neg, s = !neg, s[:len(s)-1]
	}
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	for _, cur := range []string{"¥", "$", "RMB", "CNY", "€", "£"} {
		s = strings.TrimPrefix(s, cur)
	}
	s = strings.TrimSuffix(s, "元")
	if s == "" || !plain(s) || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, ErrBadNumber
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, ErrNumberRange
		}
		return 0, ErrBadNumber
	}
	if neg {
		v = -v
	}
	return checkRange(v)
}

// plain says s holds only what a decimal number may: digits, one sign,
// a point and an exponent. It keeps out Inf, NaN, hex and underscores.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

func checkRange(v float64) (float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= maxAmount {
		return 0, ErrNumberRange
	}
	return v, nil
}

// roundCents rounds an amount to the cent, half away from zero.
func roundCents(v float64) float64 {
	return math.Round(v*100) / 100
}
