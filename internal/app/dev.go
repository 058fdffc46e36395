package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/crmflow/crmflow/internal/accounts"
	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/devserver"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/history"
)

// DevOptions are the flags of `crmflow dev`.
type DevOptions struct {
	DataDir      string // default .crmflow
	Ephemeral    bool   // everything in memory
	APIAddr      string // default 127.0.0.1:8080
	TemporalPort int    // default 7233; 0 picks a free port
	UIPort       int    // default 8233; 0 picks a free port; -1 no UI
	Config       config.Config
	Log          *slog.Logger
	// SweepInterval is how often crash leftovers are picked up (default 30s).
	SweepInterval time.Duration
}

// Dev is everything `crmflow dev` runs, in one process.
type Dev struct {
	App      *App
	Temporal *devserver.Server
	APIURL   string
	UIURL    string
	APIKey   string

	worker worker.Worker
	cancel context.CancelFunc
	served chan error
}

// StartDev starts the embedded Temporal server and Web UI, the application
// database (SQLite), the worker and the API, and returns once all answer.
func StartDev(ctx context.Context, opts DevOptions) (d *Dev, err error) {
	if opts.DataDir == "" {
		opts.DataDir = ".crmflow"
	}
	if opts.APIAddr == "" {
		opts.APIAddr = "127.0.0.1:8080"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = 30 * time.Second
	}
	// Settings that cannot work stop us before the Temporal server starts
	// (Open checks them again for server and worker).
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	// Bind the API first: a taken port should stop us before anything starts.
	ln, err := Listen(opts.APIAddr, "--api-addr")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir: opts.DataDir, Ephemeral: opts.Ephemeral, Port: opts.TemporalPort, UIPort: opts.UIPort,
		SearchAttributes: enrollment.SearchAttributeTypes, Logger: opts.Log.With("component", "temporal-server"),
	})
	if err != nil {
		var pe *devserver.PortError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w (choose other ports with --temporal-port and --ui-port)", err)
		}
		return nil, fmt.Errorf("starting the embedded Temporal server: %w", err)
	}
	defer func() {
		if err != nil {
			srv.Stop()
		}
	}()
	cfg := opts.Config
	cfg.TemporalAddress, cfg.TemporalNamespace = srv.FrontendHostPort(), srv.Namespace()
	cfg.APIAddr = ln.Addr().String() // the API's own address: the base of trigger links without CRMFLOW_PUBLIC_URL
	keyFile := ""
	if cfg.DatabaseURL == "" {
		if opts.Ephemeral {
			cfg.DatabaseURL = ":memory:"
		} else {
			cfg.DatabaseURL = filepath.Join(opts.DataDir, "crmflow.db")
		}
	}
	if !opts.Ephemeral {
		keyFile = filepath.Join(opts.DataDir, "dev-api-key")
	}
	a, err := Open(ctx, cfg, opts.Log, srv.UIURL())
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	_, key, err := accounts.EnsureDev(ctx, a.DB, cfg.DevAPIKey, keyFile)
	if err != nil {
		return nil, fmt.Errorf("creating the dev account: %w", err)
	}
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("starting the worker: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d = &Dev{App: a, Temporal: srv, APIURL: "http://" + ln.Addr().String(), UIURL: srv.UIURL(), APIKey: key,
		worker: w, cancel: cancel, served: make(chan error, 1)}
	go a.Enrollments.RunSweeper(runCtx, opts.SweepInterval)
	go a.History.RunPruner(runCtx, a.LogRetention, history.PruneInterval, a.Log)
	go func() { d.served <- ServeHTTP(runCtx, ln, a.NewAPI()) }()
	return d, nil
}

// Stop stops the API, the worker and the server, in that order, so no
// request or task is cut off half way.
func (d *Dev) Stop() error {
	d.cancel()
	err := <-d.served
	d.worker.Stop()
	d.App.Close()
	return errors.Join(err, d.Temporal.Stop())
}

// Done reports a failure of the API server while running.
func (d *Dev) Done() <-chan error { return d.served }
