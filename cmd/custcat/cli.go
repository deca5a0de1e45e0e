package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"custcat/pipeline"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the run failed, or some files failed
	exitUsage  = 2
	exitConfig = 3
	exitLocked = 4
	exitHeld   = 5 // the run committed but held its category file back: see custcat accept
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "load the inbox, segment, write the outputs", runCmd},
		{"check", "validate the config and show what the inbox would load", checkCmd},
		{"backfill", "compute the snapshots of past as-of dates from what is loaded", backfillCmd},
		{"explain", "show why a customer holds its segment and tags", explainCmd},
		{"retry", "move failed files back to the inbox for the next run", retryCmd},
		{"serve", "run the jobs of the config on their schedules, with HTTP pages", serveCmd},
		{"runs", "print the run history", runsCmd},
		{"accept", "put the category file of a held run in place", acceptCmd},
		{"service", "install, start, stop, uninstall serve as a Windows service", serviceCmd},
	}
}

// Run is custcat's entry point, without the process around it.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "custcat: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "custcat turns ERP sales exports into customer categories.")
	fmt.Fprintln(w, "\nUsage: custcat <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'custcat <command> -h' for the flags of a command.")
}

// newFlags makes a command's flag set that reports misuse with a hint.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("custcat "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			fmt.Fprintf(fs.Output(), "try: %s -h\n", fs.Name())
			return nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, -1
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// loadConfig loads the config, printing its problems.
func loadConfig(path string, stderr io.Writer) (*pipeline.Config, int) {
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return nil, exitConfig
	}
	return &cfg, -1
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// checkRulesOf compiles the config's rule conditions and prints the bad
// ones; it returns -1 when all are good, else the exit code.
func checkRulesOf(ctx context.Context, cfg *pipeline.Config, path string, stderr io.Writer) int {
	problems, err := pipeline.CheckRules(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: check rules: %v\n", err)
		return exitFailed
	}
	if len(problems) > 0 {
		return badRules(stderr, path, problems)
	}
	return -1
}

// badRules prints the rules a config's check refused, each naming its
// rule, and returns the exit code of a bad config.
func badRules(stderr io.Writer, path string, problems []string) int {
	fmt.Fprintf(stderr, "custcat: config %s: %d bad rule(s):\n%s\n", path, len(problems), indent(strings.Join(problems, "\n")))
	return exitConfig
}

// storeError prints a failure to open the database and returns its exit code.
func storeError(err error, stderr io.Writer) int {
	fmt.Fprintf(stderr, "custcat: %v\n", err)
	if errors.Is(err, pipeline.ErrLocked) {
		return exitLocked
	}
	return exitFailed
}
