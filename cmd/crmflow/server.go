package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/crmflow/crmflow/internal/app"
	"github.com/crmflow/crmflow/internal/config"
)

func serverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "server",
		Short: "Run the REST API against DATABASE_URL and TEMPORAL_ADDRESS",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openApp(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			cfg, log := a.Config, a.Log
			ln, err := app.Listen(cfg.APIAddr, "CRMFLOW_API_ADDR")
			if err != nil {
				return err
			}
			log.Info("crmflow API listening", "addr", ln.Addr().String())
			return app.ServeHTTP(ctx, ln, a.NewAPI())
		},
	}
}

// openApp opens the app for the production commands, from the environment.
func openApp(cmd *cobra.Command) (*app.App, error) {
	cfg := config.FromEnv()
	log := app.NewLogger(cfg.LogFormat, slog.LevelInfo)
	return app.Open(cmd.Context(), cfg, log, cfg.TemporalUIURL)
}
