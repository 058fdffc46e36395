package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/models"
)

func migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations to DATABASE_URL and exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.FromEnv()
			if cfg.DatabaseURL == "" {
				return errors.New("DATABASE_URL is not set")
			}
			db, err := models.Open(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			if err := models.Migrate(cmd.Context(), db); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
}
