package pipeline

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The codes that carry two names in a file are found whether the reader
// follows every code of the file or, past maxCodesFollowed, leaves them
// all to SQL: the same codes either way, and none where there is none.
func TestCodeNamesFollowed(t *testing.T) {
	const export = "日期,单据编号,客户编码,客户名称,价税合计\n" +
		"2024-03-01,S1,C1,甲,100\n2024-03-02,S2,C2,乙,50\n2024-03-03,S3,C1,甲公司,70\n" +
		"2024-03-04,S4,C3,丙,10\n2024-03-05,S5,C3,丙,20\n2024-03-06,S6,C2,,30\n"
	for _, c := range []struct {
		name   string
		limit  int
		export string
		want   string
	}{
		{"followed", 1 << 20, export, "C1|甲|甲公司"},
		{"too many codes", 2, export, "C1|甲|甲公司"},
		{"one name each", 1 << 20, strings.Replace(export, "甲公司", "甲", 1), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func(n int) { maxCodesFollowed = n }(maxCodesFollowed)
			maxCodesFollowed = c.limit
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte(c.export), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, _ := ParseConfig(nil)
			ctx := context.Background()
			store, err := OpenStore(ctx, StoreConfig{}, filepath.Join(t.TempDir(), "custcat.duckdb"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
			inbox, _, err := ScanInbox(dir, now.Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
				res, err := Load(ctx, c, &cfg, 1, inbox, now, nil)
				if err != nil {
					return err
				}
				if f := res.Files[0]; f.Status != "loaded" || f.Loaded != 6 {
					t.Fatalf("a.csv: %s %q, %d lines loaded", f.Status, f.Reason, f.Loaded)
				}
				if err := SaveCodeNames(ctx, c, 1); err != nil {
					return err
				}
				rows, err := c.QueryContext(ctx, `SELECT customer_code || '|' || first_name || '|' || last_name FROM code_names ORDER BY 1`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var s string
					rows.Scan(&s)
					got = append(got, s)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != c.want {
				t.Errorf("codes with two names: %q, want %q", got, c.want)
			}
		})
	}
}
