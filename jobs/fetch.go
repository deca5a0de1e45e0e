package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// fetchClient downloads exports. The run's context bounds each download;
// the timeout only stops a server that never answers a run without one.
var fetchClient = &http.Client{Timeout: 30 * time.Minute}

// fetchSources downloads the export of each source with a URL into the
// inbox, unless the server says it has not changed since the copy fetched
// last (ETag / Last-Modified, kept in fetch_state). A download is written
// to a hidden .part name in the inbox and renamed to its name only when
// whole, so a run never reads a part of it.
// It returns the inbox names of the exports it downloaded.
func fetchSources(ctx context.Context, db *sql.DB, cfg *pipeline.Config, sources []pipeline.Source, now time.Time, log *slog.Logger) (map[string]bool, error) {
	got := map[string]bool{}
	for _, s := range sources {
		if s.URL == "" {
			continue
		}
		fetched, err := fetchSource(ctx, db, cfg, s, now)
		if err != nil {
			return nil, fmt.Errorf("fetch source %s: %w", s.Name, err)
		}
		log.Info("fetch", slog.String("source", s.Name), slog.Bool("changed", fetched))
		if fetched {
			got[pipeline.FetchName(s)] = true
		}
	}
	return got, nil
}

func fetchSource(ctx context.Context, db *sql.DB, cfg *pipeline.Config, s pipeline.Source, now time.Time) (bool, error) {
	var etag, modified string
	err := db.QueryRowContext(ctx, custsql.Query("FetchState"), s.URL).Scan(&etag, &modified)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return false, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if modified != "" {
		req.Header.Set("If-Modified-Since", modified)
	}
	resp, err := fetchClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return false, nil
	case http.StatusOK:
	default:
		return false, fmt.Errorf("server answered %s; check the URL and that the export is published", resp.Status)
	}
	name := pipeline.FetchName(s)
	inbox := cfg.Path(cfg.Inbox)
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return false, err
	}
	part := filepath.Join(inbox, "."+name+".part")
	f, err := os.Create(part)
	if err != nil {
		return false, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("download ended after %d of %d bytes", n, resp.ContentLength)
	}
	if err == nil {
		err = os.Rename(part, filepath.Join(inbox, name))
	}
	if err != nil {
		os.Remove(part)
		return false, err
	}
	_, err = db.ExecContext(ctx, custsql.Query("SaveFetchState"), s.URL, s.Name,
		resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), n, now)
	return true, err
}
