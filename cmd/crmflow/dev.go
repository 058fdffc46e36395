package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/crmflow/crmflow/internal/app"
	"github.com/crmflow/crmflow/internal/config"
)

func devCommand() *cobra.Command {
	opts := app.DevOptions{}
	var verbose bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: embedded Temporal server + Web UI, worker and API on SQLite",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Config = config.FromEnv()
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			opts.Log = app.NewLogger(opts.Config.LogFormat, level)
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "crmflow dev: starting the embedded Temporal server...")
			d, err := app.StartDev(ctx, opts)
			if err != nil {
				return err
			}
			smsTo, emailTo := d.App.Providers()
			payments, ai, admin := d.App.Services()
			where := opts.DataDir
			if opts.Ephemeral {
				where = "memory (--ephemeral: nothing is kept)"
			}
			fmt.Fprintf(out, `
  API:          %s
  Temporal UI:  %s
  Temporal:     %s (namespace %s)
  Data:         %s
  SMS:          %s
  Email:        %s
  Payments:     %s
  AI steps:     %s
  Accounts:     %s

  Dev API key:  %s

  export CRMFLOW_API_KEY=%s

Press Ctrl-C to stop.
`, d.APIURL, orNone(d.UIURL), d.Temporal.FrontendHostPort(), d.Temporal.Namespace(), where, smsTo, emailTo, payments, ai, admin, d.APIKey, d.APIKey)
			select {
			case <-ctx.Done():
				fmt.Fprintln(out, "\ncrmflow dev: stopping...")
			case err := <-d.Done():
				fmt.Fprintln(out, "crmflow dev: the API stopped:", err)
			}
			if err := d.Stop(); err != nil {
				return err
			}
			fmt.Fprintln(out, "crmflow dev: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DataDir, "data-dir", ".crmflow", "folder for the Temporal and application SQLite databases")
	f.BoolVar(&opts.Ephemeral, "ephemeral", false, "keep everything in memory")
	f.StringVar(&opts.APIAddr, "api-addr", "127.0.0.1:8080", "address of the REST API")
	f.IntVar(&opts.TemporalPort, "temporal-port", 7233, "port of the embedded Temporal server (gRPC)")
	f.IntVar(&opts.UIPort, "ui-port", 8233, "port of the Temporal Web UI")
	f.BoolVarP(&verbose, "verbose", "v", false, "log debug details")
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "(disabled)"
	}
	return s
}
