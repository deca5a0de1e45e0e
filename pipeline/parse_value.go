package pipeline

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Reasons a value does not parse; they become the reason of a rejected
// line. Where a setting would read the value, the reason names it.
var (
	ErrEmpty         = errors.New("empty")
	ErrBadDate       = errors.New("not a date")
	ErrDateRange     = errors.New("date out of range 1900..2199")
	ErrAmbiguousDate = errors.New("could be day/month or month/day; set sources[].date_format: DD/MM/YYYY or MM/DD/YYYY")
	ErrShortYear     = errors.New("a two-digit year could be read several ways; set sources[].date_format: YY-MM-DD")
	ErrDateFormat    = errors.New("does not have the order of sources[].date_format")
	ErrSerialDate    = errors.New("a number, not a date; if the export writes Excel serial dates, set sources[].date_format: excel")
	ErrDateText      = errors.New("text after the date that is not a time of day or a weekday")
	ErrBadNumber     = errors.New("not a number")
	ErrNumberRange   = errors.New("number out of range")
	ErrAmbiguousNum  = errors.New("could be read two ways (a thousands group or three decimals); set sources[].decimal: point or comma")
	ErrMixedMarks    = errors.New("the file writes both decimal points and decimal commas; set sources[].decimal: point or comma")
	ErrCommaGroup    = errors.New("a comma that is not a three-digit thousands group; if the export writes decimal commas, set sources[].decimal: comma")
	ErrPointGroup    = errors.New("a point that is not a three-digit thousands group, in a file with decimal commas; if it writes decimal points, set sources[].decimal: point")
)

// maxAmount bounds amounts: DECIMAL(18,2) holds less than 1e16, and no
// sales line of a small firm comes near 1e13.
const maxAmount = 1e13

// DateFormats are the values of sources[].date_format: the orders of the
// dates that cannot be read without being told, and Excel serial numbers.
var DateFormats = []string{"DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "YY-MM-DD", "excel"}

// DateOrder is a date_format, read once per source.
type DateOrder uint8

const (
	DateUnambiguous DateOrder = iota // no date_format: only dates with one reading
	DateDMY                          // DD/MM/YYYY, DD.MM.YYYY (any of / . - between)
	DateMDY                          // MM/DD/YYYY
	DateYYMMDD                       // YY-MM-DD
	DateExcel                        // Excel serial numbers (days since 1899-12-30), and unambiguous text
)

// DateOrderOf reads a date_format that validation accepted.
func DateOrderOf(format string) DateOrder {
	switch format {
	case "DD/MM/YYYY", "DD.MM.YYYY":
		return DateDMY
	case "MM/DD/YYYY":
		return DateMDY
	case "YY-MM-DD":
		return DateYYMMDD
	case "excel":
		return DateExcel
	}
	return DateUnambiguous
}

// NoTime is the time of day of a date written without one.
const NoTime = -1

// ParseDate reads the dates ERP exports write that have one reading:
// 2024-10-07, 2024/10/7, 2024.10.7, 20241007, 2024年10月7日, and a day
// above 12 first or second (25/01/2024, 01/25/2024), each optionally
// followed by a time of day or a weekday. It returns days since 1970-01-01.
func ParseDate(s string) (int32, error) {
	d, _, err := ParseDateTime(s, DateUnambiguous)
	return d, err
}

// ParseDateTime reads a date in the order given, and its time of day in
// seconds (NoTime when the text has none). Text after the date is allowed
// only when it is a time (08:26, 08:26:00.000, 8:26 PM, T08:26:00Z) or a
// weekday (Mon, 星期一, 周一). It allocates nothing.
func ParseDateTime(s string, order DateOrder) (days int32, secs int32, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, NoTime, ErrEmpty
	}
	// The fast path: ISO dates, the most common by far.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 {
			days, err := civilDays(y, m, d)
			return days, NoTime, err
		}
	}
	if order == DateExcel {
		if days, secs, ok := excelSerial(s); ok {
			if _, err := civilDays(yearOf(days)); err != nil {
				return 0, NoTime, err
			}
			return days, secs, nil
		}
	}
	var f [3]int // the numbers of the date
	var n [3]int // their digit counts
	var sep [2]rune
	k, i := 0, 0
	inNum, closed := false, false
date:
	for i < len(s) {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r >= '０' && r <= '９' {
			r = '0' + (r - '０')
		}
		switch {
		case r >= '0' && r <= '9':
			if closed || k >= 3 {
				return 0, NoTime, ErrBadDate
			}
			if n[k] >= 8 {
				return 0, NoTime, ErrBadDate
			}
			f[k] = f[k]*10 + int(r-'0')
			n[k]++
			inNum = true
		case r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '－' || r == '／' || r == '．':
			if !inNum || k >= 2 || closed {
				return 0, NoTime, ErrBadDate
			}
			if r == '年' || r == '月' {
				r = '年'
			}
			sep[k] = r
			k++
			inNum = false
		case r == '日' || r == '号':
			if !inNum || k != 2 {
				return 0, NoTime, ErrBadDate
			}
			closed = true
		case r == ' ' || r == 'T' || r == '\u3000' || r == '(' || r == '（':
			break date
		default:
			return 0, NoTime, ErrBadDate
		}
		i += size
	}
	if !inNum && !closed {
		return 0, NoTime, ErrBadDate
	}
	secs = NoTime
	if rest := s[i:]; rest != "" {
		if secs, err = timeOfDay(rest); err != nil {
			return 0, NoTime, err
		}
	}
	var y, m, d int
	switch {
	case k == 0 && n[0] == 8: // 20241007
		y, m, d = f[0]/10000, f[0]/100%100, f[0]%100
	case k == 0:
		if n[0] <= 6 {
			return 0, NoTime, ErrSerialDate
		}
		return 0, NoTime, ErrBadDate
	case k != 2:
		return 0, NoTime, ErrBadDate
	case n[0] == 4 && n[1] <= 2 && n[2] <= 2: // year first: one reading
		y, m, d = f[0], f[1], f[2]
	case n[0] <= 2 && n[1] <= 2 && n[2] == 4 && sep[0] != '年':
		y = f[2]
		switch order {
		case DateDMY:
			d, m = f[0], f[1]
		case DateMDY:
			m, d = f[0], f[1]
		case DateYYMMDD:
			return 0, NoTime, ErrDateFormat
		default:
			switch {
			case f[0] == f[1], f[1] > 12: // 05/05/2024, 01/25/2024
				m, d = f[0], f[1]
			case f[0] > 12: // 25/01/2024
				d, m = f[0], f[1]
			default:
				return 0, NoTime, ErrAmbiguousDate
			}
		}
	case n[0] == 2 && n[1] <= 2 && n[2] <= 2 && sep[0] != '年':
		if order != DateYYMMDD {
			return 0, NoTime, ErrShortYear
		}
		y, m, d = 2000+f[0], f[1], f[2]
		if f[0] >= 70 {
			y -= 100
		}
	default:
		return 0, NoTime, ErrBadDate
	}
	days, err = civilDays(y, m, d)
	if err != nil {
		return 0, NoTime, err
	}
	return days, secs, nil
}

// excelSerial reads an Excel serial date: days since 1899-12-30, with a
// fraction for the time of day.
func excelSerial(s string) (int32, int32, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	n, ok := digits(whole)
	if !ok || len(whole) > 6 {
		return 0, 0, false
	}
	secs := int32(NoTime)
	if frac != "" {
		f, ok := digits(frac)
		if !ok || len(frac) > 9 {
			return 0, 0, false
		}
		secs = int32(math.Round(float64(f) / math.Pow10(len(frac)) * 86400))
		if secs >= 86400 {
			secs = 86399
		}
	}
	return int32(n - 25569), secs, true
}

func yearOf(days int32) (int, int, int) {
	t := time.Unix(int64(days)*86400, 0).UTC()
	return t.Year(), int(t.Month()), t.Day()
}

// timeOfDay reads what may follow a date: a time of day, a weekday, or
// both, in either order. It returns the seconds of the time, NoTime if
// there is none.
func timeOfDay(s string) (int32, error) {
	secs := int32(NoTime)
	weekday := false
	half := "" // 上午 or 下午 before the time, as Chinese Excel writes it
	for {
		s = strings.TrimLeft(s, " \u3000")
		s = strings.TrimPrefix(s, "T")
		if s == "" {
			if half != "" && secs == NoTime {
				return 0, ErrDateText
			}
			return secs, nil
		}
		if secs == NoTime && half == "" {
			if rest, ok := strings.CutPrefix(s, "上午"); ok {
				half, s = "am", rest
				continue
			}
			if rest, ok := strings.CutPrefix(s, "下午"); ok {
				half, s = "pm", rest
				continue
			}
		}
		if half != "" && secs == NoTime && s[0] >= '0' && s[0] <= '9' {
			v, rest, ok := clock(s)
			if !ok || v >= 13*3600 {
				return 0, ErrDateText
			}
			switch {
			case half == "pm" && v < 12*3600:
				v += 12 * 3600
			case half == "am" && v >= 12*3600:
				v -= 12 * 3600
			}
			secs, s = v, rest
			continue
		}
		if s[0] >= '0' && s[0] <= '9' && secs == NoTime {
			v, rest, ok := clock(s)
			if !ok {
				return 0, ErrDateText
			}
			secs, s = v, rest
			continue
		}
		if rest, ok := weekdayName(s); ok && !weekday {
			weekday, s = true, rest
			continue
		}
		return 0, ErrDateText
	}
}

// clock reads hh:mm[:ss[.fff]] with an optional AM/PM or zone (Z, +08:00).
func clock(s string) (int32, string, bool) {
	num := func(s string, max int) (int, string, bool) {
		j := 0
		for j < len(s) && j < 2 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		v, ok := digits(s[:j])
		return v, s[j:], ok && v <= max
	}
	h, s, ok := num(s, 23)
	if !ok || !strings.HasPrefix(s, ":") {
		return 0, "", false
	}
	m, s, ok := num(s[1:], 59)
	if !ok {
		return 0, "", false
	}
	sec := 0
	if strings.HasPrefix(s, ":") {
		if sec, s, ok = num(s[1:], 60); !ok {
			return 0, "", false
		}
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, ",") {
			j := 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == 1 {
				return 0, "", false
			}
			s = s[j:]
		}
	}
	t := strings.TrimLeft(s, " ")
	switch {
	case len(t) >= 2 && (strings.EqualFold(t[:2], "AM") || strings.EqualFold(t[:2], "PM")):
		if h < 1 || h > 12 {
			return 0, "", false
		}
		if h == 12 {
			h = 0
		}
		if t[0] == 'P' || t[0] == 'p' {
			h += 12
		}
		s = t[2:]
	case strings.HasPrefix(s, "Z"):
		s = s[1:]
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		s = s[6:]
	}
	return int32(h*3600 + m*60 + min(sec, 59)), s, true
}

var weekdays = [...]string{
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
}

// weekdayName reads a weekday, optionally in parentheses, and returns the rest.
func weekdayName(s string) (string, bool) {
	paren := ""
	switch {
	case strings.HasPrefix(s, "("):
		paren, s = ")", s[1:]
	case strings.HasPrefix(s, "（"):
		paren, s = "）", s[len("（"):]
	}
	rest, ok := "", false
	for _, p := range [...]string{"星期", "礼拜", "周"} {
		if t, found := strings.CutPrefix(s, p); found {
			r, size := utf8.DecodeRuneInString(t)
			if strings.ContainsRune("一二三四五六日天", r) {
				rest, ok = t[size:], true
			}
			break
		}
	}
	if !ok {
		for _, w := range weekdays {
			if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
				rest, ok = s[len(w):], true
				rest = strings.TrimPrefix(rest, ".")
				break
			}
		}
	}
	if !ok {
		return "", false
	}
	if paren != "" {
		if rest, ok = strings.CutPrefix(rest, paren); !ok {
			return "", false
		}
	}
	if rest != "" && rest[0] != ' ' && rest[0] != ',' && !strings.HasPrefix(rest, "\u3000") {
		return "", false
	}
	return strings.TrimPrefix(rest, ","), true
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

// DecimalMark is how an export writes the decimal point of its numbers.
type DecimalMark uint8

const (
	MarkUnknown DecimalMark = iota // decimal: auto, before the file showed its mark
	MarkPoint                      // 1,234.50
	MarkComma                      // 1.234,50
)

// DecimalMarkOf reads sources[].decimal: point, comma, or auto (MarkUnknown).
func DecimalMarkOf(setting string) DecimalMark {
	switch setting {
	case "point":
		return MarkPoint
	case "comma":
		return MarkComma
	}
	return MarkUnknown
}

// ParseAmount reads the numbers ERP exports write with a decimal point:
// 1,234.50, ¥1234.5, ￥１２３４．５, (12.00) and 12.00- for negatives,
// 1.5e3. Empty text gives ErrEmpty.
func ParseAmount(s string) (float64, error) {
	v, _, err := ParseNumber(s, MarkPoint)
	return v, err
}

// ParseNumber reads a number with the decimal mark of its file. With
// MarkUnknown it reads what has one reading (10,5 and 1.234,56 show a
// comma, 12.50 and 1,234.56 a point) and refuses what has two (1,234);
// it returns the mark the text showed, MarkUnknown when it showed none,
// so that the caller decides the file's mark. A group separator (comma,
// point, space, apostrophe) is stripped only from three-digit thousands
// groups. It allocates nothing.
func ParseNumber(s string, mark DecimalMark) (float64, DecimalMark, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, MarkUnknown, ErrEmpty
	}
	point := strings.IndexByte(s, '.') >= 0
	if plain(s) && (mark == MarkPoint || !point || mark == MarkUnknown && !threeDecimals(s, '.')) {
		v, err := parseFloat(s)
		if err == nil {
			shown := MarkUnknown
			if point {
				shown = MarkPoint
			}
			v, err = checkRange(v)
			return v, shown, err
		}
	}
	// The number as ASCII: full-width forms narrowed, currency and spaces
	// marked, in a buffer on the stack.
	var buf [64]byte
	b := buf[:0]
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFF01 - '!'
		}
		var c byte
		switch {
		case r < utf8.RuneSelf:
			c = byte(r)
		case r == '\u00a0' || r == '\u3000' || r == '\u202f' || r == '\u2009':
			c = ' '
		case r == '¥' || r == '￥' || r == '€' || r == '£' || r == '元':
			c = '$'
		case r == '\u2212':
			c = '-'
		default:
			return 0, MarkUnknown, ErrBadNumber
		}
		if len(b) == len(buf) {
			return 0, MarkUnknown, ErrBadNumber
		}
		b = append(b, c)
	}
	neg := false
	t := trimBytes(b)
	if len(t) >= 2 && t[0] == '(' && t[len(t)-1] == ')' {
		neg, t = true, trimBytes(t[1:len(t)-1])
	}
	if len(t) > 0 && t[len(t)-1] == '-' {
		neg, t = !neg, trimBytes(t[:len(t)-1])
	}
	if len(t) > 0 && t[0] == '-' {
		neg, t = !neg, trimBytes(t[1:])
	} else if len(t) > 0 && t[0] == '+' {
		t = trimBytes(t[1:])
	}
	for _, cur := range [...]string{"$", "RMB", "CNY", "USD", "EUR"} {
		if len(t) >= len(cur) && string(t[:len(cur)]) == cur {
			t = trimBytes(t[len(cur):])
		}
		if len(t) >= len(cur) && string(t[len(t)-len(cur):]) == cur {
			t = trimBytes(t[:len(t)-len(cur)])
		}
	}
	v, shown, err := groupedNumber(t, mark)
	if err != nil {
		return 0, MarkUnknown, err
	}
	if neg {
		v = -v
	}
	v, err = checkRange(v)
	return v, shown, err
}

func trimBytes(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// groupedNumber reads digits with group separators and a decimal mark.
func groupedNumber(t []byte, mark DecimalMark) (float64, DecimalMark, error) {
	if len(t) == 0 {
		return 0, MarkUnknown, ErrBadNumber
	}
	// The decimal mark is the last point or comma, if it is not a group.
	points, commas, last := 0, 0, -1
	for i, c := range t {
		switch {
		case c == '.':
			points++
			last = i
		case c == ',':
			commas++
			last = i
		case c == ' ' || c == '\'' || c == '_' || c >= '0' && c <= '9':
		case c == 'e' || c == 'E':
			// An exponent only on a plain number: 1.5e3.
			if plain(string(t)) {
				v, err := strconv.ParseFloat(string(t), 64)
				if err != nil {
					return 0, MarkUnknown, ErrBadNumber
				}
				return v, MarkPoint, nil
			}
			return 0, MarkUnknown, ErrBadNumber
		default:
			return 0, MarkUnknown, ErrBadNumber
		}
	}
	dec := -1 // the index of the decimal mark in t
	shown := MarkUnknown
	switch {
	case points > 0 && commas > 0:
		dec = last
		shown = MarkPoint
		if t[last] == ',' {
			shown = MarkComma
		}
		if points > 1 && shown == MarkPoint || commas > 1 && shown == MarkComma {
			return 0, MarkUnknown, ErrBadNumber
		}
	case points+commas == 1:
		c := t[last]
		if !threeDecimals(t, c) {
			dec = last // 10,5 or 12.50: not a group, so the decimal mark
			shown = MarkPoint
			if c == ',' {
				shown = MarkComma
			}
			break
		}
		switch m := mark; {
		case m == MarkUnknown:
			return 0, MarkUnknown, ErrAmbiguousNum
		case m == MarkPoint && c == '.', m == MarkComma && c == ',':
			dec = last
		}
	case points > 1:
		shown = MarkComma // 1.234.567: points group
	case commas > 1:
		shown = MarkPoint // 1,234,567: commas group
	}
	switch {
	case mark == MarkPoint && shown == MarkComma && commas > 0:
		return 0, MarkUnknown, ErrCommaGroup // 10,5 or 1.234,56
	case mark == MarkComma && shown == MarkPoint && points > 0:
		return 0, MarkUnknown, ErrPointGroup // 12.50 or 1,234.56
	case mark != MarkUnknown && shown != MarkUnknown && shown != mark:
		return 0, MarkUnknown, ErrBadNumber // 1.234.567 with points, 1,234,567 with commas
	}
	intPart, frac := t, t[:0]
	if dec >= 0 {
		intPart, frac = t[:dec], t[dec+1:]
	}
	// Groups: the first of 1 to 3 digits, each after a separator of 3.
	var mant uint64
	nd, group, groups := 0, 0, 0
	sep := byte(0)
	for _, c := range intPart {
		if c >= '0' && c <= '9' {
			if nd < 19 {
				mant = mant*10 + uint64(c-'0')
			}
			nd++
			group++
			continue
		}
		if sep != 0 && c != sep || group == 0 || groups == 0 && group > 3 || groups > 0 && group != 3 {
			return 0, MarkUnknown, groupError(c)
		}
		sep, group = c, 0
		groups++
	}
	if groups > 0 && group != 3 || nd == 0 && len(frac) == 0 {
		return 0, MarkUnknown, groupError(sep)
	}
	fd := 0
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, MarkUnknown, ErrBadNumber
		}
		if nd < 19 {
			mant = mant*10 + uint64(c-'0')
		}
		nd++
		fd++
	}
	if nd == 0 {
		return 0, MarkUnknown, ErrBadNumber
	}
	// Exact below 2^53 with a power of ten up to 1e22: one correctly rounded division.
	if nd <= 15 && fd <= 22 {
		return float64(mant) / pow10[fd], shown, nil
	}
	// Rare: more digits than a float64 holds exactly. strconv rounds them.
	digitsOnly := make([]byte, 0, len(t))
	for i, c := range t {
		switch {
		case c >= '0' && c <= '9':
			digitsOnly = append(digitsOnly, c)
		case i == dec:
			digitsOnly = append(digitsOnly, '.')
		}
	}
	v, err := strconv.ParseFloat(string(digitsOnly), 64)
	if err != nil {
		return 0, MarkUnknown, ErrNumberRange
	}
	return v, shown, nil
}

func groupError(c byte) error {
	switch c {
	case ',':
		return ErrCommaGroup
	case '.':
		return ErrPointGroup
	}
	return ErrBadNumber
}

// pow10 are the powers of ten a double holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// threeDecimals says whether s is 1 to 3 digits (not 0 first), c, then 3
// digits: 1,234 or 1.234, which a thousands group and three decimals both write.
func threeDecimals[T string | []byte](s T, c byte) bool {
	for len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	i := -1
	for j := 0; j < len(s); j++ {
		if s[j] == c {
			i = j
			break
		}
	}
	if i < 1 || i > 3 || len(s)-i-1 != 3 || s[0] == '0' {
		return false
	}
	for j := 0; j < len(s); j++ {
		if j != i && (s[j] < '0' || s[j] > '9') {
			return false
		}
	}
	return true
}

// plain says s holds only what a decimal number may: digits, one sign,
// a point and an exponent. It keeps out Inf, NaN, hex and underscores.
// parseFloat is strconv.ParseFloat(s, 64), sooner for the numbers of
// exports: a sign, up to 15 digits and a decimal point are a whole number
// below 2^53 divided by an exact power of ten, one correctly rounded
// division, the double ParseFloat returns.
func parseFloat(s string) (float64, error) {
	t, neg := s, false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg, t = t[0] == '-', t[1:]
	}
	var m uint64
	digits, decimals, point := 0, 0, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if point {
				decimals++
			}
		case c == '.' && !point:
			point = true
		default:
			return strconv.ParseFloat(s, 64)
		}
	}
	if digits == 0 || digits > 15 {
		return strconv.ParseFloat(s, 64)
	}
	v := float64(m) / pow10[decimals]
	if neg {
		v = -v
	}
	return v, nil
}

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
