// Package api is crmflow's REST API: an Echo server whose handlers decode and
// check requests, call the services (contacts, definitions, enrollment) and
// write their answers; errors leave as RFC 9457 problem+json. The routes are
// documented in openapi.yaml, served at /openapi.json.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/inboundhooks"
	"github.com/crmflow/crmflow/internal/metrics"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/internal/simulation"
	"github.com/crmflow/crmflow/internal/triggerlinks"
)

// Options are the API's dependencies.
type Options struct {
	DB          *gorm.DB
	Contacts    *contacts.Service
	Definitions *definitions.Service
	Enrollments *enrollment.Service
	// AdminKey guards POST /v1/accounts; empty turns that endpoint off (404).
	AdminKey string
	// Ready reports whether Temporal is reachable, for /readyz; nil skips the check.
	Ready func(ctx context.Context) error
	Log   *slog.Logger // slog.Default() when nil
	// TemporalUIURL is the base of the Temporal Web UI, for temporal_ui_url
	// in enrollment answers; empty leaves that field null.
	TemporalUIURL string
	Namespace     string // Temporal namespace, "default" when empty
	// Records keeps users, notes, tasks, pipelines, opportunities and
	// appointments; nil builds one over DB that routes through Enrollments.
	Records *records.Service
	// PublicURL is the base URL the world reaches the API at
	// (CRMFLOW_PUBLIC_URL); Twilio signs the webhook URL under it. Empty:
	// the request's own scheme and host.
	PublicURL string
	// TwilioAuthToken verifies X-Twilio-Signature and StripeWebhookSecret
	// Stripe-Signature; while one is empty its webhooks answer 401.
	TwilioAuthToken     string
	StripeWebhookSecret string
	// TriggerLinks and InboundHooks run trigger links and inbound
	// webhooks; nil builds them over DB, routing through Enrollments.
	TriggerLinks *triggerlinks.Service
	InboundHooks *inboundhooks.Service
	// EmailTracking serves the open pixel, wrapped links and unsubscribe
	// links of emails; nil builds one over DB, routing through Enrollments.
	EmailTracking *emailtracking.Service
	// Metrics records HTTP requests and serves GET /metrics; nil builds
	// a registry of the API's own.
	Metrics *metrics.Metrics
	// Simulator runs POST /v1/workflows/{id}/simulate in this process;
	// nil builds one over DB.
	Simulator *simulation.Simulator
}

// bodyLimit caps request bodies; a workflow definition is the largest thing
// anyone sends, and a megabyte holds thousands of steps.
const (
	bodyLimit      = "1 MiB"
	bodyLimitBytes = 1 << 20
)

type server struct {
	opts        Options
	db          *gorm.DB
	log         *slog.Logger
	contacts    *contacts.Service
	definitions *definitions.Service
	enrollments *enrollment.Service
	metrics     *metrics.Metrics
	simulator   *simulation.Simulator
	openapiJSON []byte
}

// New builds the HTTP API. It panics if the embedded OpenAPI document does
// not convert to JSON, which the package tests rule out.
func New(opts Options) *echo.Echo {
	e, _ := build(opts)
	return e
}

func build(opts Options) (*echo.Echo, *server) {
	s := &server{opts: opts, db: opts.DB, log: opts.Log, contacts: opts.Contacts,
		definitions: opts.Definitions, enrollments: opts.Enrollments}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.metrics = opts.Metrics; s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.simulator = opts.Simulator; s.simulator == nil {
		s.simulator = simulation.New(simulation.Options{DB: opts.DB, Log: s.log})
	}
	if s.opts.Namespace == "" {
		s.opts.Namespace = "default"
	}
	doc, err := openapiJSON()
	if err != nil {
		panic(fmt.Sprintf("api: embedded openapi.yaml: %v", err))
	}
	s.openapiJSON = doc

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	query, err := newQueryParams(doc)
	if err != nil {
		panic(fmt.Sprintf("api: embedded openapi.yaml: %v", err))
	}
	e.Use(s.recordMetrics, s.logRequests, s.recoverPanics, limitBody, query.check)
	s.routes(e)
	return e, s
}

// routes registers every endpoint. Auth and idempotency are attached per
// route rather than per group, so an unknown path answers 404 and a wrong
// method 405 before any key is checked.
func (s *server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.json", s.openapi)
	s.metricsRoutes(e)

	e.POST("/v1/accounts", s.createAccount, s.adminOnly, s.idempotent)

	v1 := func(method, path string, h echo.HandlerFunc) { s.v1(e, method, path, h) }
	v1(http.MethodPost, "/v1/contacts", s.createContact)
	v1(http.MethodGet, "/v1/contacts", s.listContacts)
	v1(http.MethodGet, "/v1/contacts/:id", s.getContact)
	v1(http.MethodPatch, "/v1/contacts/:id", s.updateContact)
	v1(http.MethodDelete, "/v1/contacts/:id", s.deleteContact)
	v1(http.MethodPost, "/v1/contacts/:id/tags", s.addTags)
	v1(http.MethodDelete, "/v1/contacts/:id/tags/:tag", s.removeTag)

	v1(http.MethodPost, "/v1/workflows", s.createWorkflow)
	v1(http.MethodGet, "/v1/workflows", s.listWorkflows)
	v1(http.MethodGet, "/v1/workflows/:id", s.getWorkflow)
	v1(http.MethodPut, "/v1/workflows/:id", s.updateWorkflow)
	v1(http.MethodDelete, "/v1/workflows/:id", s.deleteWorkflow)
	v1(http.MethodPost, "/v1/workflows/:id/publish", s.publishWorkflow)
	v1(http.MethodPost, "/v1/workflows/:id/draft", s.draftWorkflow)
	s.versionRoutes(e)
	s.v1(e, http.MethodGet, "/v1/account", s.getAccount)
	s.simulationRoutes(e)

	v1(http.MethodPost, "/v1/workflows/:id/enrollments", s.enroll)
	v1(http.MethodGet, "/v1/workflows/:id/enrollments", s.listEnrollments)
	v1(http.MethodPost, "/v1/workflows/:id/test", s.testWorkflow)
	v1(http.MethodGet, "/v1/enrollments/:id", s.getEnrollment)
	v1(http.MethodPost, "/v1/enrollments/:id/cancel", s.cancelEnrollment)
	s.retryRoutes(e)
	s.migrateRoutes(e)

	v1(http.MethodPost, "/v1/events", s.ingestEvent)
	v1(http.MethodGet, "/v1/events", s.listEvents)

	v1(http.MethodGet, "/v1/messages", s.listMessages)
	s.recordRoutes(e)
	s.webhookRoutes(e)
	s.linkAndHookRoutes(e)
	s.customValueRoutes(e)
	s.emailTrackingRoutes(e)
	s.historyRoutes(e)
}

// v1 registers an authenticated route; mutating ones take Idempotency-Key.
// Each concept's file registers its routes through it.
func (s *server) v1(e *echo.Echo, method, path string, h echo.HandlerFunc) {
	mw := []echo.MiddlewareFunc{s.authenticate}
	if method != http.MethodGet {
		mw = append(mw, s.idempotent)
	}
	e.Add(method, path, h, mw...)
}

// logRequests logs every request once it is answered. It writes error
// answers itself so that the status it logs is the one sent.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r, res := c.Request(), c.Response()
		attrs := []any{"method", r.Method, "path", r.URL.Path, "route", c.Path(), "status", res.Status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if a := account(c); a != nil {
			attrs = append(attrs, "account_id", a.ID)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
		return nil
	}
}

// recoverPanics turns a panicking handler into a 500 problem and a log line
// with the stack, instead of a dropped connection.
func (s *server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(c.Request().Context(), "handler panicked",
					"method", c.Request().Method, "path", c.Request().URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				err = problem(http.StatusInternalServerError, "something went wrong on our side; it has been logged")
			}
		}()
		return next(c)
	}
}

// limitBody caps the request body; reading past the cap answers 413.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if strings.HasPrefix(c.Path(), inboundhooks.PathPrefix) {
			// Inbound webhooks cap bodies themselves, lower, and keep what
			// they refuse as a sample with the reason.
			return next(c)
		}
		if r.ContentLength > bodyLimitBytes {
			return echo.ErrStatusRequestEntityTooLarge
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(c.Response(), r.Body, bodyLimitBytes)
		}
		return next(c)
	}
}

// param is a path parameter, unescaped: Echo matches on the raw path when
// it contains escapes (a tag with a slash arrives as %2F).
func param(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// utc is how every time leaves the API: UTC, at the microsecond precision
// the databases keep, so an answer and a later read of it agree.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}
