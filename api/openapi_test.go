package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIValid loads openapi.yaml with kin-openapi and validates it.
func TestOpenAPIValid(t *testing.T) {
	if _, _, err := loadSpec(); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIMatchesRoutes checks that every route New registers is
// documented with the same method, and that the document lists no route
// the server lacks: the document cannot drift from the server.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	v := newEnv(t)
	registered := map[string]bool{}
	for _, r := range v.e.Routes() {
		if r.Path == "/openapi.json" || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		key := r.Method + " " + echoParam.ReplaceAllString(r.Path, "{$1}")
		registered[key] = true
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is not documented in openapi.yaml", key)
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	for _, key := range documented {
		if key != "GET /openapi.json" && !registered[key] {
			t.Errorf("openapi.yaml documents %s, which the server does not serve", key)
		}
	}
	if len(registered) < 20 {
		t.Fatalf("only %d routes registered; the walk is broken", len(registered))
	}
}

func TestOpenAPIServedAsJSON(t *testing.T) {
	v := newEnv(t)
	r := v.doAs("", http.MethodGet, "/openapi.json", nil).expect(http.StatusOK)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/v1/contacts"] == nil {
		t.Fatalf("unexpected document: openapi=%q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
}
