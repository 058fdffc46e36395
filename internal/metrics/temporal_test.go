package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTemporalHandlerRecordsOnTheRegistry(t *testing.T) {
	m := New()
	h := m.Temporal().WithTags(map[string]string{"namespace": "default", "task-queue": "crmflow"})

	h.Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"namespace": "other"}).Counter("temporal_request").Inc(1)
	h.Counter("temporal_request").Inc(-5) // ignored: counters only go up
	// Another tag set for the same name: extra tags dropped, missing left empty.
	m.Temporal().WithTags(map[string]string{"operation": "Poll"}).Counter("temporal_request").Inc(4)
	h.Gauge("temporal_num_pollers").Update(3)
	h.Timer("temporal_request_latency").Record(1500 * time.Millisecond)
	h.Timer("temporal_request").Record(time.Second) // a name taken by another kind records nothing

	// And the whole registry serves as Prometheus text.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range []string{
		"# TYPE temporal_request counter",
		`temporal_request{namespace="",task_queue=""} 4`,
		`temporal_request{namespace="default",task_queue="crmflow"} 2`,
		`temporal_request{namespace="other",task_queue="crmflow"} 1`,
		"# TYPE temporal_num_pollers gauge",
		`temporal_num_pollers{namespace="default",task_queue="crmflow"} 3`,
		"# TYPE temporal_request_latency histogram",
		`temporal_request_latency_bucket{namespace="default",task_queue="crmflow",le="2.5"} 1`,
		`temporal_request_latency_sum{namespace="default",task_queue="crmflow"} 1.5`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q:\n%s", line, body)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.HTTPRequest("GET", "/x", 200, time.Second)
	m.Enrollment("wf", EnrollmentStarted)
	m.Step("send_sms", "completed", time.Second)
	m.ProviderError(ProviderTwilio)
	m.Temporal().Counter("x").Inc(1)
}

func TestAppMetricsLabels(t *testing.T) {
	m := New()
	m.HTTPRequest("GET", "/v1/contacts/:id", 404, time.Millisecond)
	m.HTTPRequest("GET", "", 404, time.Millisecond)
	m.ProviderError(ProviderSMTP)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{
		`crmflow_http_requests_total{code="4xx",method="GET",route="/v1/contacts/:id"} 1`,
		`crmflow_http_requests_total{code="4xx",method="GET",route="unmatched"} 1`,
		`crmflow_provider_errors_total{provider="smtp"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}
