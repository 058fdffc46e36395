package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/workflows/validation"
)

// readyTimeout bounds each readiness check, so a hung dependency makes the
// probe fail instead of hang.
const readyTimeout = 3 * time.Second

// healthz is liveness: the process answers. It checks nothing else, so a
// database outage does not get the process restarted in a loop.
func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is readiness: the database and Temporal both answer.
func (s *server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	checks := map[string]string{"database": "ok", "temporal": "ok"}
	var faults []validation.FieldError
	run := func(name string, check func(context.Context) error) {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		if err := check(ctx); err != nil {
			checks[name] = "failing"
			faults = append(faults, validation.FieldError{Path: name, Message: err.Error()})
		}
	}
	run("database", s.pingDB)
	if s.opts.Ready != nil {
		run("temporal", s.opts.Ready)
	} else {
		checks["temporal"] = "not checked"
	}
	if len(faults) > 0 {
		return problem(http.StatusServiceUnavailable, "not ready: a dependency is failing; see errors", faults...)
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "checks": checks})
}

func (s *server) pingDB(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("database ping: %w", err)
	}
	return nil
}
