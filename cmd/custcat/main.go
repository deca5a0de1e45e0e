// Command custcat turns ERP sales exports into customer categories.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // job time zones also on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels ctx: the run rolls back and exits.
		// A second one aborts at once.
		<-ctx.Done()
		// Listen for the second before letting go of the first, so that no
		// signal falls between them to the default action.
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM)
		stop()
		<-again
		os.Exit(130)
	}()
	stopProfile := startProfile(os.Stderr)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}
