package pipeline

import (
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// CustomerRow is one customer of a master export.
type CustomerRow struct {
	Line                                int
	Code, Name, Address, Contact, Phone string
	Category                            string // the customer's category in the ERP
}

// key is the customer key, as sales lines have it: the code, else the name.
func (r *CustomerRow) key() string {
	if r.Code != "" {
		return r.Code
	}
	return r.Name
}

// parseCustomer reads one record of a master export; a non-empty reason
// rejects it.
func (p *lineParser) parseCustomer(rec record) (CustomerRow, string) {
	if rec.Bad != "" {
		return CustomerRow{}, rec.Bad
	}
	cells := rec.Cells
	if why := p.checkWidth(cells); why != "" {
		return CustomerRow{}, why
	}
	r := CustomerRow{
		Line:     rec.Line,
		Code:     p.cell(cells, cCode),
		Name:     p.cell(cells, cName),
		Address:  p.cell(cells, cAddress),
		Contact:  p.cell(cells, cContact),
		Phone:    p.cell(cells, cPhone),
		Category: p.cell(cells, cCategory),
	}
	if p.cols[cCode] >= 0 {
		if r.Code == "" {
			return CustomerRow{}, "no customer code"
		}
		if excelRounded(r.Code) {
			return CustomerRow{}, excelRoundedReason("customer_code", r.Code)
		}
	} else if r.Name == "" {
		return CustomerRow{}, "no customer name"
	}
	return r, ""
}

// masterSink holds the customers of a master export until the file is
// known to load, then appends them to master_customers. A customer listed
// twice is a duplicate when the lines agree, and a rejected line when they
// do not: which of the two is right is for a person to say.
type masterSink struct {
	conn *sql.Conn
	res  *FileResult
	rows []CustomerRow
	seen map[string]int // customer key -> index in rows
}

func newMasterSink(conn *sql.Conn, res *FileResult) *masterSink {
	return &masterSink{conn: conn, res: res, seen: map[string]int{}}
}

func (s *masterSink) add(p *lineParser, rec record) (string, error) {
	r, reason := p.parseCustomer(rec)
	if reason != "" {
		return reason, nil
	}
	if i, ok := s.seen[r.key()]; ok {
		first := s.rows[i]
		first.Line = r.Line
		if first == r {
			s.res.Duplicate++
			return "", nil
		}
		return fmt.Sprintf("customer %s is on line %d too, with other data", clip(r.key()), s.rows[i].Line), nil
	}
	s.seen[r.key()] = len(s.rows)
	s.rows = append(s.rows, r)
	return "", nil
}

func (s *masterSink) flush() error {
	return s.conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "master_customers")
		if err != nil {
			return fmt.Errorf("master customers: %w", err)
		}
		for _, r := range s.rows {
			err := app.AppendRow(s.res.FileID, int32(r.Line), s.res.Ledger, r.key(),
				orNull(r.Code), orNull(r.Name), orNull(r.Address), orNull(r.Contact), orNull(r.Phone), orNull(r.Category))
			if err != nil {
				app.Close()
				return fmt.Errorf("master customers line %d: %w", r.Line, err)
			}
		}
		return app.Close()
	})
}

func (s *masterSink) close() {}

// orNull stores a blank cell as NULL.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
