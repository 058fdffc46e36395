package api

import (
	"time"

	"github.com/labstack/echo/v4"
)

// metricsRoutes serves the Prometheus metrics on the API port, without
// auth like /healthz: they carry route templates and counts, no tenant
// data, and a scraper has no API key. Keep the port private if that
// matters (the worker serves them on its own --metrics-addr).
func (s *server) metricsRoutes(e *echo.Echo) {
	e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()))
}

// recordMetrics counts every answered request by method, route template
// and status class. It runs outside logRequests, which writes error
// answers itself, so the status it sees is the one sent. c.Path() is the
// route template (/v1/contacts/:id): raw paths would make one series per id.
func (s *server) recordMetrics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		s.metrics.HTTPRequest(c.Request().Method, c.Path(), c.Response().Status, time.Since(start))
		return err
	}
}
