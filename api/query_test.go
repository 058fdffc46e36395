package api

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestUnknownAndRepeatedQueryParametersAreRefused(t *testing.T) {
	v := newEnv(t)
	v.createContact(map[string]any{"first_name": "Ada"})
	p := v.do(http.MethodGet, "/v1/messages?contactId=x", nil).problem(http.StatusBadRequest)
	wantPaths(t, p, "contactId")
	p = v.do(http.MethodGet, "/v1/contacts?limit=2&limit=3&bogus=1", nil).problem(http.StatusBadRequest)
	wantPaths(t, p, "bogus", "limit")
	v.do(http.MethodGet, "/v1/contacts?limit=2&email=ada@example.com", nil).expect(http.StatusOK)
}

// Every bad query parameter is named in one answer, whether its value is
// refused or the endpoint does not take it, before the resource is looked up.
func TestEveryBadQueryParameterIsNamedAtOnce(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Faults")
	contact := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	missing := "01a24326-13b0-7645-b83a-a63127804a3f"
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/v1/workflows/" + wf + "/logs?status=bogus&from=x&limit=0", []string{"from", "limit", "status"}},
		{"/v1/workflows/" + wf + "/logs?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z&cursor=zzz", []string{"cursor", "to"}},
		{"/v1/workflows/" + wf + "/enrollments?stuck=maybe&stuck_after=forever", []string{"stuck", "stuck_after"}},
		{"/v1/workflows/" + wf + "/enrollments?stuck=false&stuck_after=1d&status=nope&limit=201", []string{"limit", "status", "stuck_after"}},
		{"/v1/workflows/" + wf + "/stats?from=yesterday&to=today", []string{"from", "to"}},
		{"/v1/workflows/" + missing + "/logs?limit=0&bogus=1", []string{"bogus", "limit"}},
		{"/v1/workflows?status=archived&limit=0&bogus=1", []string{"bogus", "limit", "status"}},
		{"/v1/contacts?limit=x&cursor=nope&phone=abc", []string{"cursor", "limit", "phone"}},
		{"/v1/contacts/" + contact + "/tasks?completed=yes&limit=0", []string{"completed", "limit"}},
		{"/v1/contacts/" + contact + "/timeline?limit=0&cursor=x", []string{"cursor", "limit"}},
		{"/v1/opportunities?status=x&cursor=bad", []string{"cursor", "status"}},
		{"/v1/appointments?status=x&limit=-1&limit=2", []string{"limit", "status"}},
		{"/v1/events?limit=0&typo=1", []string{"limit", "typo"}},
		{"/v1/messages?channel=fax&limit=0", []string{"channel", "limit"}},
	} {
		p := v.do(http.MethodGet, tc.path, nil).problem(http.StatusBadRequest)
		if got := p.paths(); !reflect.DeepEqual(dedupe(got), tc.want) {
			t.Errorf("GET %s names %q, want %q (%+v)", tc.path, got, tc.want, p.Errors)
		}
		if p.Type != typeBadQuery {
			t.Errorf("GET %s: type %q", tc.path, p.Type)
		}
	}
}

// Every GET that takes query parameters reads them before anything else,
// so that an unknown one is named beside the refused values in one answer
// (the query check leaves those to the handler) and no handler answers
// without the unknown one being refused.
func TestEveryQueryTakingEndpointNamesUnknownAndBadValuesTogether(t *testing.T) {
	v := newEnv(t)
	doc, err := openapiJSON()
	if err != nil {
		t.Fatal(err)
	}
	routes, err := newQueryParams(doc)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.NewReplacer(":id", "01a24326-13b0-7645-b83a-a63127804a3f", ":trigger_id", "t1", ":version", "1")
	checked := 0
	for route, allowed := range routes {
		method, path, _ := strings.Cut(route, " ")
		if method != http.MethodGet || len(allowed) == 0 {
			continue
		}
		bad := "limit"
		if !allowed["limit"] {
			bad = "from"
		}
		url := id.Replace(path) + "?" + bad + "=0&zz_unknown=1"
		wantPaths(t, v.do(http.MethodGet, url, nil).problem(http.StatusBadRequest), bad, "zz_unknown")
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d endpoints checked", checked)
	}
}

func dedupe(paths []string) []string {
	var out []string
	for _, p := range paths {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}
