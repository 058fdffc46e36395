package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/models"
)

func TestUnknownRouteIsProblem404(t *testing.T) {
	v := newEnv(t)
	for _, path := range []string{"/nope", "/v1/nope", "/v1/contacts/a/b/c"} {
		p := v.do(http.MethodGet, path, nil).problem(http.StatusNotFound)
		if !strings.Contains(p.Detail, path) {
			t.Errorf("detail %q does not name the path %s", p.Detail, path)
		}
	}
	// Unknown routes answer 404 before any key is asked for.
	v.doAs("", http.MethodGet, "/v1/nope", nil).problem(http.StatusNotFound)
}

func TestWrongMethodIsProblem405(t *testing.T) {
	v := newEnv(t)
	r := v.do(http.MethodPut, "/v1/contacts", "{}")
	r.problem(http.StatusMethodNotAllowed)
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q, want GET and POST", allow)
	}
}

func TestPanicIsProblem500(t *testing.T) {
	v := newEnv(t)
	v.e.GET("/boom", func(echo.Context) error { panic("boom") })
	p := v.do(http.MethodGet, "/boom", nil).problem(http.StatusInternalServerError)
	if strings.Contains(p.Detail, "boom") {
		t.Fatalf("the panic value leaked into the answer: %q", p.Detail)
	}
	// The server goes on serving.
	v.do(http.MethodGet, "/healthz", nil).expect(http.StatusOK)
}

func TestBadJSONBodies(t *testing.T) {
	v := newEnv(t)
	cases := []struct {
		name, body string
		status     int
		path       string
	}{
		{"empty", "", http.StatusBadRequest, ""},
		{"malformed", `{"first_name": "Ada",}`, http.StatusBadRequest, ""},
		{"truncated", `{"first_name": "Ada"`, http.StatusBadRequest, ""},
		{"trailing data", `{"first_name": "Ada"} {}`, http.StatusBadRequest, ""},
		{"not an object", `["Ada"]`, http.StatusUnprocessableEntity, ""},
		{"wrong type", `{"first_name": 12}`, http.StatusUnprocessableEntity, "first_name"},
		{"wrong nested type", `{"first_name": "Ada", "dnd": {"sms": "yes"}}`, http.StatusUnprocessableEntity, "dnd.sms"},
		{"wrong list item", `{"first_name": "Ada", "tags": ["a", 3]}`, http.StatusUnprocessableEntity, "tags[1]"},
		{"unknown field", `{"first_name": "Ada", "nickname": "A"}`, http.StatusUnprocessableEntity, "nickname"},
		{"unknown nested field", `{"first_name": "Ada", "dnd": {"fax": true}}`, http.StatusUnprocessableEntity, "dnd.fax"},
		{"field in the wrong case", `{"First_Name": "Ada"}`, http.StatusUnprocessableEntity, "First_Name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := v.do(http.MethodPost, "/v1/contacts", tc.body).problem(tc.status)
			wantPaths(t, p, tc.path)
		})
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Fatalf("%d contacts saved from bad bodies", n)
	}
}

func TestAllFaultsAtOnce(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/contacts", `{"first_name": 1, "last_name": true, "zzz": 0}`).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "first_name", "last_name", "zzz")
	if p.Type != typeValidation {
		t.Fatalf("type = %q", p.Type)
	}
}

func TestBodyTooLarge(t *testing.T) {
	v := newEnv(t)
	big := `{"first_name": "` + strings.Repeat("a", bodyLimitBytes) + `"}`
	v.do(http.MethodPost, "/v1/contacts", big).problem(http.StatusRequestEntityTooLarge)
}
