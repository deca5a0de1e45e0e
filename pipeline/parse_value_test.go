package pipeline

import (
	"errors"
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
		{"day first", "07/10/2024", "", ErrBadDate},
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
