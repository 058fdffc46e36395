package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/metrics"
)

// TestMetricsCountRequestsByRouteTemplate scrapes /metrics (no key) after
// requests: the route label is the template, never the raw path with its id.
func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	m := metrics.New()
	v := newEnv(t, func(o *Options) { o.Metrics = m })
	id := str(v.createContact(map[string]any{"email": "ada@example.com"})["id"])
	v.do(http.MethodGet, "/v1/contacts/"+id, nil).expect(http.StatusOK)
	v.do(http.MethodGet, "/v1/contacts/ct_missing", nil).expect(http.StatusNotFound)

	r := v.doAs("", http.MethodGet, "/metrics", nil).expect(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type = %q", ct)
	}
	body := string(r.Body)
	for _, line := range []string{
		`crmflow_http_requests_total{code="2xx",method="POST",route="/v1/contacts"} 1`,
		`crmflow_http_requests_total{code="2xx",method="GET",route="/v1/contacts/:id"} 1`,
		`crmflow_http_requests_total{code="4xx",method="GET",route="/v1/contacts/:id"} 1`,
		`crmflow_http_request_duration_seconds_count{method="GET",route="/v1/contacts/:id"} 2`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if strings.Contains(body, id) {
		t.Errorf("/metrics names the raw path of contact %s", id)
	}
}
