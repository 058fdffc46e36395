// Package metrics holds crmflow's Prometheus metrics: one registry per
// process (so tests running several apps in one binary do not share
// counters), the metrics recorded by the API, the enrollment service and
// the activities, and an adapter that feeds the Temporal SDK's own metrics
// into the same registry.
//
// Label cardinality: workflow_id is the id of a workflow definition, not of
// a run or contact, so its values are bounded by the definitions an install
// keeps (hundreds, not millions); route is Echo's route template
// (/v1/contacts/:id), never the raw path; step_type, outcome, provider and
// status class come from closed sets.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Providers whose errors are counted, as the provider label says them.
const (
	ProviderTwilio  = "twilio"
	ProviderSMTP    = "smtp"
	ProviderStripe  = "stripe"
	ProviderWebhook = "webhook"
	ProviderAI      = "ai"
)

// Metrics is a registry and crmflow's metrics on it. Every method is safe
// on a nil *Metrics and then records nothing, so services built without
// metrics (unit tests) need no stand-in.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	enrollments    *prometheus.CounterVec
	steps          *prometheus.CounterVec
	stepDuration   *prometheus.HistogramVec
	providerErrors *prometheus.CounterVec
	temporal       *temporalVecs // shared by every Temporal() handler
}

// New builds a registry with the Go runtime and process collectors and
// crmflow's metrics.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmflow_http_requests_total", Help: "HTTP requests answered, by method, route template and status class (2xx...).",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmflow_http_request_duration_seconds", Help: "Time to answer HTTP requests, by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmflow_enrollments_total", Help: "Enrollment runs started, completed, failed and exited, by workflow id.",
		}, []string{"workflow_id", "event"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmflow_step_executions_total", Help: "Step executions (each attempt of an action step), by step type and outcome.",
		}, []string{"step_type", "outcome"}),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmflow_step_duration_seconds", Help: "Duration of step executions, by step type and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400},
		}, []string{"step_type", "outcome"}),
		providerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmflow_provider_errors_total", Help: "Errors returned by providers (twilio, smtp, stripe, webhook, ai).",
		}, []string{"provider"}),
	}
	m.temporal = &temporalVecs{reg: reg, byName: map[string]*temporalVec{}}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.enrollments, m.steps, m.stepDuration, m.providerErrors)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// HTTPRequest records one answered request. route must be the route
// template: raw paths carry ids and would grow the series without bound.
func (m *Metrics) HTTPRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched" // 404s of unknown paths share one series
	}
	m.httpRequests.WithLabelValues(method, route, statusClass(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Enrollment events, as the event label says them.
const (
	EnrollmentStarted   = "started"
	EnrollmentCompleted = "completed"
	EnrollmentFailed    = "failed"
	EnrollmentExited    = "exited"
)

// Enrollment counts an enrollment event (EnrollmentStarted...) of a workflow.
func (m *Metrics) Enrollment(workflowID, event string) {
	if m == nil {
		return
	}
	m.enrollments.WithLabelValues(workflowID, event).Inc()
}

// Step records one step execution and how long it took.
func (m *Metrics) Step(stepType, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.steps.WithLabelValues(stepType, outcome).Inc()
	m.stepDuration.WithLabelValues(stepType, outcome).Observe(d.Seconds())
}

// ProviderError counts an error a provider returned (ProviderTwilio...).
func (m *Metrics) ProviderError(provider string) {
	if m == nil {
		return
	}
	m.providerErrors.WithLabelValues(provider).Inc()
}
