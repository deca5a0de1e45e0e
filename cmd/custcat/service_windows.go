package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

const serviceUsage = `custcat service installs custcat serve as a Windows service.

Usage:
  custcat service install   -c C:\custcat\custcat.yaml [--name custcat] [--log FILE] [--user ACCOUNT]
  custcat service start     [--name custcat]
  custcat service stop      [--name custcat]
  custcat service uninstall [--name custcat]

install registers the service (it starts at boot, and again a minute after
a crash) and the event log source of its failures; run it from a prompt
"as administrator". The service runs "custcat serve" on the config, its log
(JSON lines) goes to --log, by default custcat.log beside the config.
--user is the account it runs as (default LocalSystem, which cannot read a
share of another machine): a domain account such as ERP\svc-custcat, with
its password in the variable CUSTCAT_SERVICE_PASSWORD, or a managed
account such as ERP\custcat$ (no password). -c on start, stop and uninstall
checks that the service is the one of that config.
`

func serviceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, serviceUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	action := args[0]
	fs := newFlags("service "+action, stderr)
	configPath := fs.String("c", "", "the config file of the service")
	name := fs.String("name", "custcat", "the name of the service: one per config")
	logPath := fs.String("log", "", "install: the log file (default: custcat.log beside the config)")
	user := fs.String("user", "", `install: the account the service runs as (default LocalSystem), e.g. ERP\svc-custcat`)
	verbose := fs.Bool("v", false, "install: log debug lines too")
	pos, code := parseFlags(fs, args[1:])
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "custcat service %s: unexpected %q\ntry: custcat service -h\n", action, pos[0])
		return exitUsage
	}
	switch action {
	case "install":
		if *configPath == "" {
			fmt.Fprintf(stderr, "custcat service install: give the config: -c C:\\custcat\\custcat.yaml\n")
			return exitUsage
		}
		return installService(*name, *configPath, *logPath, *user, *verbose, stdout, stderr)
	case "uninstall", "start", "stop":
		return controlService(action, *name, *configPath, stdout, stderr)
	case "run":
		return runService(*name, *configPath, *logPath, *verbose, stderr)
	}
	fmt.Fprintf(stderr, "custcat service: unknown action %q\n\n%s", action, serviceUsage)
	return exitUsage
}

func installService(name, configPath, logPath, user string, verbose bool, stdout, stderr io.Writer) int {
	abs, err := filepath.Abs(configPath)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: config %s: %v\n", configPath, err)
		return exitConfig
	}
	// The service would only stop again with a bad config: say it now.
	cfg, code := loadConfig(abs, stderr)
	if cfg == nil {
		return code
	}
	if len(cfg.Jobs) == 0 {
		fmt.Fprintf(stderr, "custcat: config %s has no jobs for the service to run; add jobs: [{name: nightly, schedule: \"0 2 * * *\"}]\n", abs)
		return exitConfig
	}
	if logPath == "" {
		logPath = filepath.Join(filepath.Dir(abs), "custcat.log")
	}
	if logPath, err = filepath.Abs(logPath); err != nil {
		fmt.Fprintf(stderr, "custcat: log %v\n", err)
		return exitUsage
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "custcat: find custcat.exe: %v\n", err)
		return exitFailed
	}
	m := connectManager(stderr)
	if m == nil {
		return exitFailed
	}
	defer m.Disconnect()
	if s, err := m.OpenService(name); err == nil {
		s.Close()
		fmt.Fprintf(stderr, "custcat: service %s is installed already: custcat service uninstall --name %s first, or give another --name\n", name, name)
		return exitFailed
	}
	args := []string{"service", "run", "--name", name, "-c", abs, "--log", logPath}
	if verbose {
		args = append(args, "-v")
	}
	s, err := m.CreateService(name, exe, mgr.Config{
		DisplayName:      "custcat (" + name + ")",
		Description:      "custcat serve -c " + abs + ": runs the jobs of the config on their schedules; log " + logPath,
		StartType:        mgr.StartAutomatic,
		ServiceStartName: user,
		Password:         os.Getenv("CUSTCAT_SERVICE_PASSWORD"),
	}, args...)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: install service %s: %v\n", name, err)
		return exitFailed
	}
	defer s.Close()
	if err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "exists") {
		s.Delete()
		fmt.Fprintf(stderr, "custcat: install the event log source %s: %v; the service is not installed\n", name, err)
		return exitFailed
	}
	restart := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.ServiceRestart, Delay: 5 * time.Minute},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Minute},
	}
	if err := s.SetRecoveryActions(restart, 24*60*60); err != nil {
		fmt.Fprintf(stderr, "custcat: warning: service %s will not restart after a crash: %v\n", name, err)
	}
	who := user
	if who == "" {
		who = "LocalSystem"
	}
	fmt.Fprintf(stdout, "installed service %s: custcat serve -c %s, as %s, log %s\nit starts at boot; to start it now: custcat service start --name %s\n", name, abs, who, logPath, name)
	return exitOK
}

// connectManager connects to the service manager, or says why not.
func connectManager(stderr io.Writer) *mgr.Mgr {
	m, err := mgr.Connect()
	if err != nil {
		hint := ""
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			hint = "; run it from a prompt opened \"as administrator\""
		}
		fmt.Fprintf(stderr, "custcat: connect to the service manager: %v%s\n", err, hint)
		return nil
	}
	return m
}

func controlService(action, name, configPath string, stdout, stderr io.Writer) int {
	m := connectManager(stderr)
	if m == nil {
		return exitFailed
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: service %s: %v; install it with custcat service install -c CONFIG --name %s\n", name, err, name)
		return exitFailed
	}
	defer s.Close()
	if configPath != "" {
		abs, _ := filepath.Abs(configPath)
		c, err := s.Config()
		if err == nil && !strings.Contains(strings.ToLower(c.BinaryPathName), strings.ToLower(abs)) {
			fmt.Fprintf(stderr, "custcat: service %s is not the one of %s (it runs %s); give its --name\n", name, abs, c.BinaryPathName)
			return exitUsage
		}
	}
	switch action {
	case "start":
		if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			fmt.Fprintf(stderr, "custcat: start service %s: %v\n", name, err)
			return exitFailed
		}
		st, err := waitService(s, func(st svc.State) bool { return st != svc.StartPending })
		if err != nil || st != svc.Running {
			fmt.Fprintf(stderr, "custcat: service %s did not start (%v); see its log and the event log (source %s)\n", name, stateName(st, err), name)
			return exitFailed
		}
		fmt.Fprintf(stdout, "service %s is running\n", name)
	case "stop", "uninstall":
		if st, err := s.Query(); err == nil && st.State != svc.Stopped {
			if _, err := s.Control(svc.Stop); err != nil {
				fmt.Fprintf(stderr, "custcat: stop service %s: %v\n", name, err)
				return exitFailed
			}
			// The current run rolls back first, as after Ctrl+C.
			if st, err := waitService(s, func(st svc.State) bool { return st == svc.Stopped }); err != nil || st != svc.Stopped {
				fmt.Fprintf(stderr, "custcat: service %s did not stop (%v)\n", name, stateName(st, err))
				return exitFailed
			}
		}
		if action == "stop" {
			fmt.Fprintf(stdout, "service %s is stopped\n", name)
			return exitOK
		}
		if err := s.Delete(); err != nil {
			fmt.Fprintf(stderr, "custcat: uninstall service %s: %v\n", name, err)
			return exitFailed
		}
		_ = eventlog.Remove(name)
		fmt.Fprintf(stdout, "uninstalled service %s; its log and the database stay\n", name)
	}
	return exitOK
}

// waitService polls the service until done says its state is final, for
// at most two minutes (a run that is stopped rolls back first).
func waitService(s *mgr.Service, done func(svc.State) bool) (svc.State, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := s.Query()
		if err != nil {
			return 0, err
		}
		if done(st.State) || time.Now().After(deadline) {
			return st.State, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stateName(st svc.State, err error) string {
	if err != nil {
		return err.Error()
	}
	switch st {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "still starting"
	case svc.StopPending:
		return "still stopping"
	case svc.Running:
		return "running"
	}
	return fmt.Sprintf("state %d", st)
}
