// Command benchbase is the engine-only baseline of the benchmark: what
// DuckDB alone takes to do the work of a custcat run on a benchgen export,
// with the same duckdb-go build. In one process it reads the CSV with
// read_csv into a table of a database file, fills the document cells of
// continuation lines down, computes PRODUCT.md's features, quintile scores,
// A/B/C class and default segments in SQL, and writes them to a CSV.
//
//	go run ./data/benchbase -csv sales_1m.csv -db base.duckdb -out base.csv -as-of 2024-12-31
package main

import (
	"context"
	"database/sql"
	"flag"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	csvPath := flag.String("csv", "", "the benchgen export (UTF-8)")
	dbPath := flag.String("db", "", "the database file to create")
	out := flag.String("out", "", "the CSV of customers to write")
	asOf := flag.String("as-of", "2024-12-31", "the as-of date")
	memory := flag.String("memory-limit", "1GB", "DuckDB's memory_limit")
	verbose := flag.Bool("v", false, "print the time of each step")
	flag.Parse()
	if *csvPath == "" || *dbPath == "" || *out == "" {
		log.Fatal("benchbase: -csv, -db and -out are required")
	}
	os.Remove(*dbPath)
	db, err := sql.Open("duckdb", *dbPath+"?"+url.Values{"memory_limit": {*memory}}.Encode())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, step := range []struct{ name, sql string }{
		{"load", load},
		{"fill", fill},
		{"features", features},
		{"scores", scores},
		{"write", "COPY (SELECT * FROM scores ORDER BY customer_key) TO " + quote(*out) + " (HEADER)"},
	} {
		q := step.sql
		q = strings.ReplaceAll(q, "$CSV", quote(*csvPath))
		q = strings.ReplaceAll(q, "$ASOF", quote(*asOf))
		t := time.Now()
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Fatalf("benchbase: %s: %v", step.name, err)
		}
		if *verbose {
			log.Printf("%-8s %v", step.name, time.Since(t).Round(time.Millisecond))
		}
	}
}

// The export: a title line, then the header; bad lines are skipped.
const load = `CREATE TABLE raw AS
SELECT * FROM read_csv($CSV, skip = 1, header = true, delim = ',', quote = '"', ignore_errors = true,
    dateformat = '%Y/%-m/%-d',
    columns = {'doc_date': 'DATE', 'doc_no': 'VARCHAR', 'customer_code': 'VARCHAR', 'customer_name': 'VARCHAR',
               'item_code': 'VARCHAR', 'item_name': 'VARCHAR', 'category': 'VARCHAR',
               'quantity': 'DOUBLE', 'unit_price': 'DOUBLE', 'amount': 'DECIMAL(18,2)'})`

// Continuation lines take the document number, date and customer of the
// line above; the total row has no customer and goes.
const fill = `CREATE TABLE sales_lines AS
SELECT * FROM (
    SELECT last_value(doc_no IGNORE NULLS) OVER w AS doc_no,
           last_value(doc_date IGNORE NULLS) OVER w AS doc_date,
           last_value(customer_code IGNORE NULLS) OVER w AS customer_key,
           category, quantity, unit_price, amount
    FROM raw
    WINDOW w AS (ORDER BY rowid ROWS UNBOUNDED PRECEDING)
)
WHERE customer_key IS NOT NULL AND amount IS NOT NULL`

const features = `CREATE TABLE features AS
WITH docs AS (
    SELECT customer_key, doc_no, max(doc_date) AS doc_date, sum(amount) AS net
    FROM sales_lines
    WHERE doc_date <= $ASOF::DATE
    GROUP BY customer_key, doc_no
),
by_doc AS (
    SELECT customer_key,
           max(doc_date) FILTER (WHERE net > 0) AS last_order,
           min(doc_date) FILTER (WHERE net > 0) AS first_order,
           count(*) FILTER (WHERE net > 0 AND doc_date > $ASOF::DATE - 365) AS frequency,
           count(DISTINCT date_trunc('month', doc_date)) FILTER (WHERE net > 0 AND doc_date > $ASOF::DATE - 365) AS active_months
    FROM docs
    GROUP BY customer_key
),
by_line AS (
    SELECT customer_key,
           sum(amount) FILTER (WHERE doc_date > $ASOF::DATE - 365) AS monetary,
           sum(amount) FILTER (WHERE doc_date > $ASOF::DATE - 365 AND amount > 0) AS positive,
           -sum(amount) FILTER (WHERE doc_date > $ASOF::DATE - 365 AND amount < 0) AS returned
    FROM sales_lines
    WHERE doc_date <= $ASOF::DATE
    GROUP BY customer_key
),
by_category AS (
    SELECT customer_key, category, sum(amount) AS amount,
           row_number() OVER (PARTITION BY customer_key ORDER BY sum(amount) DESC, category) AS rank
    FROM sales_lines
    WHERE doc_date <= $ASOF::DATE AND doc_date > $ASOF::DATE - 365 AND amount > 0
    GROUP BY customer_key, category
)
SELECT customer_key,
       $ASOF::DATE - d.last_order AS recency_days,
       coalesce(d.frequency, 0) AS frequency,
       coalesce(l.monetary, 0) AS monetary,
       coalesce(d.active_months, 0) AS active_months,
       $ASOF::DATE - d.first_order AS tenure_days,
       l.returned / l.positive AS returns_share,
       t.category AS top_category,
       t.amount / l.positive AS top_category_share
FROM by_line l
LEFT JOIN by_doc d USING (customer_key)
LEFT JOIN by_category t ON t.customer_key = l.customer_key AND t.rank = 1`

const scores = `CREATE TABLE scores AS
WITH cuts AS (
    SELECT quantile_cont(recency_days, [0.2, 0.4, 0.6, 0.8]) AS r,
           quantile_cont(frequency, [0.2, 0.4, 0.6, 0.8]) AS f,
           quantile_cont(monetary, [0.2, 0.4, 0.6, 0.8]) AS m
    FROM features WHERE frequency >= 1
),
ranked AS (
    SELECT customer_key,
           sum(monetary) OVER (ORDER BY monetary DESC, customer_key ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
           sum(monetary) OVER () AS total
    FROM features WHERE frequency >= 1
),
scored AS (
    SELECT f.*,
           CASE WHEN f.frequency >= 1 THEN 5 - len(list_filter(c.r, x -> f.recency_days > x)) END AS r_score,
           CASE WHEN f.frequency >= 1 THEN 1 + len(list_filter(c.f, x -> f.frequency > x)) END AS f_score,
           CASE WHEN f.frequency >= 1 THEN 1 + len(list_filter(c.m, x -> f.monetary > x)) END AS m_score,
           CASE WHEN r.total IS NULL THEN NULL
                WHEN coalesce(r.before, 0) < 0.8 * r.total THEN 'A'
                WHEN coalesce(r.before, 0) < 0.95 * r.total THEN 'B'
                ELSE 'C' END AS abc_class
    FROM features f CROSS JOIN cuts c LEFT JOIN ranked r USING (customer_key)
)
SELECT *,
       CASE WHEN m_score >= 4 AND f_score >= 4 AND active_months >= 6 THEN 'A'
            WHEN m_score >= 3 OR f_score >= 3 THEN 'B'
            ELSE 'C' END AS segment
FROM scored`

// quote makes a path a SQL string literal: read_csv and COPY take no parameters.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
