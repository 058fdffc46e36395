package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.Ready, o.Namespace, o.Log, o.TemporalUIURL = nil, "", nil, "http://ui" })
	got := v.doAs("", http.MethodGet, "/readyz", nil).expect(http.StatusOK).obj()
	if got["checks"].(map[string]any)["temporal"] != "not checked" {
		t.Fatalf("readyz without a Ready check: %v", got)
	}
	wf := v.publishedWorkflowAs(v.key, "W")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	e := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	if u, _ := e["temporal_ui_url"].(string); !strings.HasPrefix(u, "http://ui/namespaces/default/workflows/enroll%2F") {
		t.Fatalf("temporal_ui_url = %v", e["temporal_ui_url"])
	}
}

func TestNoTemporalUI(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.TemporalUIURL = "" })
	wf := v.publishedWorkflowAs(v.key, "W")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	e := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	if e["temporal_ui_url"] != nil || e["temporal_run_id"] == "" {
		t.Fatalf("enrollment = %v; want temporal_ui_url null", e)
	}
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	v := newEnv(t, func(o *Options) { o.Log = slog.New(slog.NewJSONHandler(&buf, nil)) })
	v.do(http.MethodGet, "/v1/contacts/nope", nil).problem(http.StatusNotFound)
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("log: %v: %s", err, buf.Bytes())
	}
	if line["status"] != 404.0 || line["route"] != "/v1/contacts/:id" || line["account_id"] != v.acct.ID {
		t.Fatalf("log line = %v", line)
	}
}
