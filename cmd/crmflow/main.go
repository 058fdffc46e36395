// Command crmflow is the single binary of crmflow: `dev` runs everything in
// one process on an embedded Temporal server; `server`, `worker` and
// `migrate` run the production pieces against DATABASE_URL and TEMPORAL_ADDRESS.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "crmflow",
		Short:         "Marketing and CRM automation engine on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(devCommand(), serverCommand(), workerCommand(), migrateCommand(), replayCommand())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "crmflow:", err)
		os.Exit(1)
	}
}
