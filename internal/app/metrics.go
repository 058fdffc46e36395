package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
)

// ServeMetrics serves only GET /metrics on addr until ctx ends: the worker
// has no API port to serve them on. Binding happens before it returns, so a
// taken address fails the start instead of a goroutine.
func (a *App) ServeMetrics(ctx context.Context, addr string) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen on %s for metrics (use --metrics-addr or CRMFLOW_METRICS_ADDR to choose another address): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, ln, mux) }()
	return ln.Addr(), done, nil
}
