package jobs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"custcat/pipeline"
	"custcat/reports"
	custsql "custcat/sql"
)

// ErrNothingHeld means there is no held run whose file custcat accept
// could put in place.
var ErrNothingHeld = errors.New("no held run to accept")

// Accepted is what Accept put in place.
type Accepted struct {
	RunID int64
	AsOf  string
	Files []string // the category file and its manifest, in place
}

// Accept puts the category file that the last run held back (out/held/)
// in place, with its manifest marked accepted, and makes it the ERP's
// state for the next delta. Only the newest run that changed the database
// can be accepted: a later run's file would be older than what the
// database holds.
func Accept(ctx context.Context, cfg *pipeline.Config) (*Accepted, error) {
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var id int64
	var status, asOf string
	err = store.DB.QueryRowContext(ctx, custsql.Query("LastFinishedRun")).Scan(&id, &status, &asOf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no run has finished yet", ErrNothingHeld)
	}
	if err != nil {
		return nil, fmt.Errorf("read run history: %w", err)
	}
	if status != "held" {
		return nil, fmt.Errorf("%w: the last run (%d, as of %s) is %s; only the last run can be accepted, and only while it is held", ErrNothingHeld, id, asOf, status)
	}
	out := cfg.Path(cfg.Out)
	dir := filepath.Join(out, heldDir)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("held manifest of run %d: %w; run custcat run again to write it", id, err)
	}
	var m reports.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("held manifest of run %d: %w", id, err)
	}
	if m.File == "" || filepath.Base(m.File) != m.File {
		return nil, fmt.Errorf("held manifest of run %d names no category file (%q); run custcat run again", id, m.File)
	}
	data, err := os.ReadFile(filepath.Join(dir, m.File))
	if err != nil {
		return nil, fmt.Errorf("held category file of run %d: %w; run custcat run again to write it", id, err)
	}
	sum := sha256.Sum256(data)
	if m.HeldRun != id || m.AsOf != asOf || m.SHA256 != hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%w: %s holds the file of run %d as of %s, not that of the last run %d as of %s (or it was changed); run custcat run again", ErrNothingHeld, dir, m.HeldRun, m.AsOf, id, asOf)
	}
	m.Status = "accepted"
	m.Reasons = append([]string{fmt.Sprintf("held by run %d, accepted by custcat accept", id)}, m.Reasons...)
	manifest, err := m.JSON()
	if err != nil {
		return nil, err
	}
	// The file first, then its manifest, as a run puts them in place.
	res := &Accepted{RunID: id, AsOf: asOf}
	for _, f := range []struct {
		name string
		data []byte
	}{{m.File, data}, {"manifest.json", manifest}} {
		p, err := reports.WriteFile(filepath.Join(out, f.name), f.data)
		if err != nil {
			return nil, outputError(out, err)
		}
		if err := p.Commit(); err != nil {
			return nil, outputError(out, err)
		}
		res.Files = append(res.Files, p.Final)
	}
	err = store.Unit(context.WithoutCancel(ctx), func(ctx context.Context, c *sql.Conn) error {
		if err := reports.PlaceCategories(ctx, c, m); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, custsql.Query("AcceptRun"), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record categories.csv of run %d as in place: %w; run custcat accept again", id, err)
	}
	if err := os.RemoveAll(dir); err != nil && !strings.Contains(err.Error(), "no such file") {
		return res, fmt.Errorf("remove %s: %w", dir, err)
	}
	return res, nil
}
