package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/api"
)

// NewAPI builds the Echo server over the app's services.
func (a *App) NewAPI() *echo.Echo {
	return api.New(api.Options{
		DB: a.DB, Contacts: a.Contacts, Definitions: a.Definitions, Enrollments: a.Enrollments, Records: a.Records,
		AdminKey: a.Config.AdminKey, Log: a.Log, TemporalUIURL: a.TemporalUIURL, Namespace: a.Config.TemporalNamespace,
		PublicURL: a.Config.PublicURL, TwilioAuthToken: a.Config.TwilioAuthToken, StripeWebhookSecret: a.Config.StripeWebhookSecret,
		TriggerLinks: a.TriggerLinks, InboundHooks: a.InboundHooks, EmailTracking: a.EmailTracking, Metrics: a.Metrics,
		Ready: func(ctx context.Context) error {
			_, err := a.Temporal.CheckHealth(ctx, nil)
			return err
		},
	})
}

// Listen binds the API address, with a clear error when it is taken.
func Listen(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the API (is another crmflow running? use %s to choose another address): %w", addr, flag, err)
	}
	return ln, nil
}

// ServeHTTP serves until ctx ends, then shuts down gracefully.
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
