package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmflow/crmflow/internal/history"
)

// sweepInterval is how often unrouted events and unstarted enrollments
// (left by a crash) are picked up again.
const sweepInterval = 30 * time.Second

func workerCommand() *cobra.Command {
	var metricsAddr string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker against DATABASE_URL and TEMPORAL_ADDRESS",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openApp(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			cfg, log := a.Config, a.Log
			w := a.NewWorker()
			if err := w.Start(); err != nil {
				return err
			}
			defer w.Stop()
			addr := cfg.MetricsAddr
			if cmd.Flags().Changed("metrics-addr") {
				addr = metricsAddr
			}
			bound, metricsDone, err := a.ServeMetrics(ctx, addr)
			if err != nil {
				return err
			}
			go a.Enrollments.RunSweeper(ctx, sweepInterval)
			go a.History.RunPruner(ctx, a.LogRetention, history.PruneInterval, log)
			log.Info("crmflow worker running", "temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace,
				"metrics", "http://"+bound.String()+"/metrics")
			select {
			case <-ctx.Done():
				return <-metricsDone
			case err := <-metricsDone:
				return fmt.Errorf("the metrics server stopped: %w", err)
			}
		},
	}
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9090",
		"address serving GET /metrics (Prometheus); default CRMFLOW_METRICS_ADDR or 127.0.0.1:9090")
	return cmd
}
