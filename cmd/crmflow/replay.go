package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/crmflow/crmflow/internal/app"
	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/replay"
)

func replayCommand() *cobra.Command {
	var (
		files             []string
		workflowID, runID string
		crmWorkflow       string
		all, failed       bool
	)
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Replay workflow histories against this build's interpreter and report nondeterminism",
		Long: `Replay recorded histories against the interpreter compiled into this binary, before
deploying it, so a change that would break runs in flight is caught. One line per history:
OK, or FAILED with the event and the step near which replay diverged. Exits non-zero
when any history fails.

  crmflow replay --file a.json --file b.json        JSON histories (temporal workflow show --output json)
  crmflow replay --workflow-id enroll/... [--run-id R]  one run, from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE
  crmflow replay --workflow <id> --all              every run of a crmflow workflow (CrmWorkflowId search attribute)
  crmflow replay --workflow <id> --failed           only the runs Temporal recorded as failed`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sources := 0
			for _, set := range []bool{len(files) > 0, workflowID != "", crmWorkflow != ""} {
				if set {
					sources++
				}
			}
			if sources != 1 {
				return errors.New("give exactly one of --file, --workflow-id, or --workflow with --all/--failed")
			}
			if (all || failed) && crmWorkflow == "" {
				return errors.New("--all and --failed need --workflow <crmflow workflow id>")
			}
			if crmWorkflow != "" && all == failed {
				return errors.New("--workflow needs exactly one of --all or --failed")
			}
			out := cmd.OutOrStdout()
			var checker replay.Checker
			failures := 0
			report := func(r replay.Result) {
				fmt.Fprintln(out, r.String())
				if !r.OK() {
					failures++
				}
			}
			for _, f := range files {
				h, err := replay.File(f)
				if err != nil {
					report(replay.Result{Source: f, Err: err})
					continue
				}
				report(checker.Replay(f, h))
			}
			if workflowID != "" || crmWorkflow != "" {
				cfg := config.FromEnv()
				c, err := client.DialContext(ctx, client.Options{
					HostPort:  cfg.TemporalAddress,
					Namespace: cfg.TemporalNamespace,
					Logger:    sdklog.NewStructuredLogger(app.NewLogger(cfg.LogFormat, slog.LevelWarn)),
				})
				if err != nil {
					return fmt.Errorf("connecting to Temporal at %s: %w", cfg.TemporalAddress, err)
				}
				defer c.Close()
				runs := []replay.Run{{WorkflowID: workflowID, RunID: runID}}
				if crmWorkflow != "" {
					q, err := replay.RunsQuery(crmWorkflow, failed)
					if err != nil {
						return err
					}
					if runs, err = replay.Runs(ctx, c, q); err != nil {
						return err
					}
					if len(runs) == 0 {
						fmt.Fprintf(out, "no runs where %s\n", q)
					}
				}
				for _, r := range runs {
					source := r.WorkflowID
					if r.RunID != "" {
						source = r.Source()
					}
					h, err := replay.Fetch(ctx, c, r.WorkflowID, r.RunID)
					if err != nil {
						report(replay.Result{Source: source, Err: err})
						continue
					}
					report(checker.Replay(source, h))
				}
			}
			if failures > 0 {
				return fmt.Errorf("%d history(ies) failed to replay", failures)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&files, "file", nil, "JSON history file (repeatable)")
	f.StringVar(&workflowID, "workflow-id", "", "Temporal workflow id of one run to fetch and replay")
	f.StringVar(&runID, "run-id", "", "run id (with --workflow-id; default: the latest run)")
	f.StringVar(&crmWorkflow, "workflow", "", "crmflow workflow id whose runs to replay (with --all or --failed)")
	f.BoolVar(&all, "all", false, `with --workflow: every run (CrmWorkflowId="<id>")`)
	f.BoolVar(&failed, "failed", false, `with --workflow: runs Temporal recorded as failed (ExecutionStatus="Failed"); enrollments that fail a step complete their run, so most need --all`)
	return cmd
}
