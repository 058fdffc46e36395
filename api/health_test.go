package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestHealthz(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.Ready = func(context.Context) error { return errors.New("down") } })
	if st := v.doAs("", http.MethodGet, "/healthz", nil).expect(http.StatusOK).obj()["status"]; st != "ok" {
		t.Fatalf("status = %v", st)
	}
}

func TestReadyz(t *testing.T) {
	v := newEnv(t)
	got := v.doAs("", http.MethodGet, "/readyz", nil).expect(http.StatusOK).obj()
	if checks := got["checks"].(map[string]any); checks["database"] != "ok" || checks["temporal"] != "ok" {
		t.Fatalf("checks = %v", checks)
	}
}

func TestReadyzTemporalDown(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.Ready = func(context.Context) error { return errors.New("temporal unreachable") } })
	p := v.doAs("", http.MethodGet, "/readyz", nil).problem(http.StatusServiceUnavailable)
	wantPaths(t, p, "temporal")
}

func TestReadyzDatabaseDown(t *testing.T) {
	v := newEnv(t)
	sqlDB, err := v.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	p := v.doAs("", http.MethodGet, "/readyz", nil).problem(http.StatusServiceUnavailable)
	wantPaths(t, p, "database")
}
