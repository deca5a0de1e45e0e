// Package jobs runs custcat's units of work and the daemon around them.
//
// Run is one run: it downloads the exports of URL sources, loads the
// ready inbox files into the store in one transaction, segments, writes
// the outputs and moves the inbox files. Serve is the daemon: a pure plan
// (PlanTick, Missed, Overdue) says which jobs are due, a loop runs them one
// at a time, and read-only HTTP pages show the run history (History), the
// health and the metrics, and serve the output folder. The daemon opens
// the database only while a job runs. Failed files wait in failed/
// (FailedFiles) until Retry puts them back; they keep the health red.
// NotifyRun tells the notice targets (robots, a webhook, email) how a run
// ended, naming each failed file and its reason.
package jobs
