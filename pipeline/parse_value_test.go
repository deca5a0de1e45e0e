package pipeline

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		name, in, want string
		err            error
	}{
		{"iso", "2024-10-07", "2024-10-07", nil},
		{"slashes short", "2024/10/7", "2024-10-07", nil},
		{"dots", "2024.1.2", "2024-01-02", nil},
		{"compact", "20241007", "2024-10-07", nil},
		{"chinese", "2024年10月7日", "2024-10-07", nil},
		{"chinese full-width digits", "２０２４年１０月７日", "2024-10-07", nil},
		{"iso with T", "2024-12-04T00:00:00", "2024-12-04", nil},
		{"with time", "2024-10-07 08:26:00", "2024-10-07", nil},
		{"slashes with time", "2024/10/7 8:26", "2024-10-07", nil},
		{"spaces around", "  2024-10-07 ", "2024-10-07", nil},
		{"leap day", "2024-02-29", "2024-02-29", nil},
		{"no leap day", "2023-02-29", "", ErrBadDate},
		{"month 13", "2024-13-01", "", ErrBadDate},
		{"year 0", "0000-01-01", "", ErrDateRange},
		{"year 9999", "9999-12-31", "", ErrDateRange},
		{"empty", "", "", ErrEmpty},
		{"words", "yesterday", "", ErrBadDate},
		{"day or month first", "07/10/2024", "", ErrAmbiguousDate},
		{"dots, day or month first", "05.01.2024", "", ErrAmbiguousDate},
		{"day above 12 first", "25/01/2024", "2024-01-25", nil},
		{"day above 12 second", "01/25/2024", "2024-01-25", nil},
		{"day and month equal", "05/05/2024", "2024-05-05", nil},
		{"two-digit year", "24-01-05", "", ErrShortYear},
		{"text after the date", "2024-01-01 abc", "", ErrDateText},
		{"text after the time", "2024-01-01 08:26 abc", "", ErrDateText},
		{"weekday", "2024-01-01 Mon", "2024-01-01", nil},
		{"weekday chinese", "2024年1月1日 星期一", "2024-01-01", nil},
		{"weekday in parentheses", "2024-01-01(周一)", "2024-01-01", nil},
		{"word starting like a weekday", "2024-01-01 monkey", "", ErrDateText},
		{"time with pm", "2024/1/1 3:05 PM", "2024-01-01", nil},
		{"hour 25", "2024-01-01 25:00", "", ErrDateText},
		{"excel serial without date_format", "45292", "", ErrSerialDate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDate(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("ParseDate(%q) error = %v, want %v", c.in, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", c.in, err)
			}
			if s := DateString(got); s != c.want {
				t.Errorf("ParseDate(%q) = %s, want %s", c.in, s, c.want)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	cases := []struct {
		name, in string
		want     float64
		err      error
	}{
		{"plain", "12.5", 12.5, nil},
		{"integer", "32", 32, nil},
		{"negative", "-3.20", -3.2, nil},
		{"thousands", "1,234,567.89", 1234567.89, nil},
		{"yen", "¥1,200.00", 1200, nil},
		{"full-width yen and digits", "￥１，２００．５０", 1200.5, nil},
		{"parentheses", "(12.00)", -12, nil},
		{"trailing minus", "12.00-", -12, nil},
		{"yuan suffix", "88元", 88, nil},
		{"exponent", "1.5e3", 1500, nil},
		{"spaces", " 7 ", 7, nil},
		{"empty", "", 0, ErrEmpty},
		{"words", "五十四", 0, ErrBadNumber},
		{"two points", "1.2.3", 0, ErrBadNumber},
		{"infinity", "Inf", 0, ErrBadNumber},
		{"nan", "NaN", 0, ErrBadNumber},
		{"hex", "0x10", 0, ErrBadNumber},
		{"huge", "1e30", 0, ErrNumberRange},
		{"double minus", "--5", 0, ErrBadNumber},
		// A comma that is not a thousands group is never stripped.
		{"decimal comma refused", "10,5", 0, ErrCommaGroup},
		{"decimal comma below one refused", "0,99", 0, ErrCommaGroup},
		{"european thousands refused", "1.234,56", 0, ErrCommaGroup},
		{"indian grouping refused", "1,23,456", 0, ErrCommaGroup},
		{"space thousands", "1 234.56", 1234.56, nil},
		{"three decimals", "1.234", 1.234, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseAmount(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("ParseAmount(%q) = %v, %v; want error %v", c.in, got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("ParseAmount(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-10-07", "2024/10/7", "20241007", "2024年10月7日", "2024-12-04T00:00:00", "0000-00-00", "9999-99-99 99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		// A date that parses prints in range and parses back to itself.
		back, err := ParseDate(DateString(d))
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %s, which reads back as %v, %v", s, DateString(d), back, err)
		}
		if y := DateString(d)[:4]; y < "1900" || y > "2199" {
			t.Fatalf("ParseDate(%q) = %s: out of range", s, DateString(d))
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1,234.50", "¥1234.5", "￥１２３４．５", "(12.00)", "12.00-", "1e30", "-0", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err != nil {
			return
		}
		if v != v || v >= maxAmount || v <= -maxAmount {
			t.Fatalf("ParseAmount(%q) = %v: out of range", s, v)
		}
	})
}

func TestParseDateTimeOrders(t *testing.T) {
	cases := []struct {
		in    string
		order DateOrder
		want  string
		secs  int32
		err   error
	}{
		{"01/05/2024", DateDMY, "2024-05-01", NoTime, nil},
		{"01/05/2024", DateMDY, "2024-01-05", NoTime, nil},
		{"05.01.2024", DateDMY, "2024-01-05", NoTime, nil},
		{"25/01/2024", DateMDY, "", NoTime, ErrBadDate}, // month 25
		{"24-01-05", DateYYMMDD, "2024-01-05", NoTime, nil},
		{"01/05/2024", DateYYMMDD, "", NoTime, ErrDateFormat},
		{"2024-10-07 08:26:30", DateDMY, "2024-10-07", 8*3600 + 26*60 + 30, nil}, // year first reads alike
		{"2024-10-07T15:33:00Z", DateUnambiguous, "2024-10-07", 15*3600 + 33*60, nil},
		{"45292", DateExcel, "2024-01-01", NoTime, nil},
		{"2024/10/7 下午 3:05", DateUnambiguous, "2024-10-07", 15*3600 + 5*60, nil},
		{"2024/10/7 上午 12:30:00", DateUnambiguous, "2024-10-07", 30 * 60, nil},
		{"2024/10/7 下午", DateUnambiguous, "", NoTime, ErrDateText},
		{"45292.5", DateExcel, "2024-01-01", 12 * 3600, nil},
		{"2024-01-01", DateExcel, "2024-01-01", NoTime, nil},
	}
	for _, c := range cases {
		days, secs, err := ParseDateTime(c.in, c.order)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("ParseDateTime(%q, %d) error = %v, want %v", c.in, c.order, err, c.err)
			}
			continue
		}
		if err != nil || DateString(days) != c.want || secs != c.secs {
			t.Errorf("ParseDateTime(%q, %d) = %s, %d, %v; want %s, %d", c.in, c.order, DateString(days), secs, err, c.want, c.secs)
		}
	}
}

func TestParseNumberMarks(t *testing.T) {
	cases := []struct {
		in    string
		mark  DecimalMark
		want  float64
		shown DecimalMark
		err   error
	}{
		// The export of the issue: never 105 for 10,5.
		{"10,5", MarkComma, 10.5, MarkComma, nil},
		{"0,99", MarkComma, 0.99, MarkComma, nil},
		{"1.234,56", MarkComma, 1234.56, MarkComma, nil},
		{"1 234,56", MarkComma, 1234.56, MarkComma, nil},
		{"1.234", MarkComma, 1234, MarkUnknown, nil},
		{"12.50", MarkComma, 0, 0, ErrPointGroup},
		{"-1.234,5", MarkComma, -1234.5, MarkComma, nil},
		{"(1.234,50)", MarkComma, -1234.5, MarkComma, nil},
		// auto reads what has one reading and says which mark it showed.
		{"10,5", MarkUnknown, 10.5, MarkComma, nil},
		{"1.234,56", MarkUnknown, 1234.56, MarkComma, nil},
		{"1,234.56", MarkUnknown, 1234.56, MarkPoint, nil},
		{"12.50", MarkUnknown, 12.5, MarkPoint, nil},
		{"1.234.567", MarkUnknown, 1234567, MarkComma, nil},
		{"1,234,567", MarkUnknown, 1234567, MarkPoint, nil},
		{"32", MarkUnknown, 32, MarkUnknown, nil},
		{"1,234", MarkUnknown, 0, 0, ErrAmbiguousNum},
		{"1.234", MarkUnknown, 0, 0, ErrAmbiguousNum},
		{"0.125", MarkUnknown, 0.125, MarkPoint, nil},
		{"1,234", MarkPoint, 1234, MarkUnknown, nil},
		{"1,234", MarkComma, 1.234, MarkUnknown, nil},
		{"1.2.3", MarkPoint, 0, 0, ErrBadNumber},
	}
	for _, c := range cases {
		v, shown, err := ParseNumber(c.in, c.mark)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("ParseNumber(%q, %d) = %v, %v; want error %v", c.in, c.mark, v, err, c.err)
			}
			continue
		}
		if err != nil || v != c.want || shown != c.shown {
			t.Errorf("ParseNumber(%q, %d) = %v, %d, %v; want %v, %d", c.in, c.mark, v, shown, err, c.want, c.shown)
		}
	}
}

// The reader calls these for every cell: they must not allocate.
func TestParseValuesDoNotAllocate(t *testing.T) {
	for _, s := range []string{"2024-10-07", "2024/10/7 08:26:00", "2024年10月7日", "25/01/2024"} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = ParseDateTime(s, DateDMY) }); n != 0 {
			t.Errorf("ParseDateTime(%q) allocates %v times", s, n)
		}
	}
	for _, s := range []string{"1234.50", "1,234.50", "¥1,200.00", "10,5", "1.234,56", "(12.00)", "1,234"} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = ParseNumber(s, MarkUnknown) }); n != 0 {
			t.Errorf("ParseNumber(%q) allocates %v times", s, n)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"10,5", "1.234,56", "1 234,56", "1,234", "1.234", "12.50", "(1.234,50)", "1,23,456", "¥1,200.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, shown, err := ParseNumber(s, MarkUnknown)
		if err != nil {
			return
		}
		if v != v || v >= maxAmount || v <= -maxAmount {
			t.Fatalf("ParseNumber(%q) = %v: out of range", s, v)
		}
		// What auto reads with one reading, the mark it showed reads alike.
		if shown != MarkUnknown {
			if w, _, err := ParseNumber(s, shown); err != nil || w != v {
				t.Fatalf("ParseNumber(%q) = %v showing %d, but with that mark %v, %v", s, v, shown, w, err)
			}
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"01/05/2024", "25/01/2024 08:26", "24-01-05", "45292.5", "2024-01-01 Mon", "2024年1月1日 星期一"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, order uint8) {
		d, secs, err := ParseDateTime(s, DateOrder(order%5))
		if err != nil {
			return
		}
		if y := DateString(d)[:4]; y < "1900" || y > "2199" {
			t.Fatalf("ParseDateTime(%q) = %s: out of range", s, DateString(d))
		}
		if secs != NoTime && (secs < 0 || secs >= 86400) {
			t.Fatalf("ParseDateTime(%q) time %d", s, secs)
		}
	})
}

// parseFloat must give the very double strconv.ParseFloat gives, and an
// error where it does.
func TestParseFloatIsStrconv(t *testing.T) {
	cases := []string{"0", "-0", "+0", "0.1", "0.2", "0.3", "1234.56", "-1234.56", "303.60", "999999999999999",
		"9999999999999999", "123456789012345.6", "0.000000000000001", "1.", ".5", ".", "-", "+", "", "1e5", "1.2.3",
		"00000000000000000001", "4503599627370497", "9007199254740993", "12.345", "-.5", "5-"}
	r := rand.New(rand.NewPCG(7, 15))
	for range 200000 {
		b := make([]byte, 0, 20)
		if r.IntN(4) == 0 {
			b = append(b, "-+"[r.IntN(2)])
		}
		n := 1 + r.IntN(17)
		dot := r.IntN(n + 2)
		for i := range n {
			if i == dot {
				b = append(b, '.')
			}
			b = append(b, byte('0'+r.IntN(10)))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, wantErr := strconv.ParseFloat(s, 64)
		got, err := parseFloat(s)
		if (err != nil) != (wantErr != nil) || err == nil && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv says %v, %v", s, got, err, want, wantErr)
		}
	}
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"303.60", "-0", "1.", ".5", "123456789012345.6", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := strconv.ParseFloat(s, 64)
		got, err := parseFloat(s)
		if (err != nil) != (wantErr != nil) || err == nil && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv says %v, %v", s, got, err, want, wantErr)
		}
	})
}

func TestTrimSpaceIsStrings(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a", "a ", "\u3000客户\u3000", "客户", "客户 ", "\t合肥\n", "\u00a0x", "x\u00a0",
		"\xff", "a\xff", "\xe5", "\u2003", "  \u2003  "} {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	}
}
