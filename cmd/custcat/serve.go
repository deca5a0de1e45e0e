package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"custcat/jobs"
)

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	verbose := fs.Bool("v", false, "log debug lines too")
	testNotice := fs.Bool("test-notice", false, "send a test notice to every notify target, then exit (0: all arrived)")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *testNotice {
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		log := slog.New(slog.NewTextHandler(stderr, nil))
		if err := jobs.NotifyTest(ctx, cfg, log, time.Now()); err != nil {
			fmt.Fprintf(stderr, "custcat: test notice: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "test notice sent to %d target(s)\n", len(cfg.NotifyTargets()))
		return exitOK
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	return serve(ctx, *configPath, slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}), stderr)
}

// serve runs the daemon of the config, logging to h; the Windows service
// (service_windows.go) runs it too, with its log in a file.
func serve(ctx context.Context, configPath string, h slog.Handler, stderr io.Writer) int {
	cfg, code := loadConfig(configPath, stderr)
	if cfg == nil {
		return code
	}
	if len(cfg.Jobs) == 0 {
		fmt.Fprintf(stderr, "custcat: config %s has no jobs; add jobs: [{name: nightly, schedule: \"0 2 * * *\"}]\n", configPath)
		return exitConfig
	}
	log := slog.New(h)
	log.Info("start", slog.String("config", configPath), slog.Int("jobs", len(cfg.Jobs)), slog.String("listen", cfg.Serve.Listen))
	if err := jobs.Serve(ctx, cfg, jobs.ServeOptions{Log: log}); err != nil {
		log.Error("serve", slog.Any("err", err))
		fmt.Fprintf(stderr, "custcat: serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}
