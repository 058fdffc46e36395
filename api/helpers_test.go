package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/accounts"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
)

const (
	testAdminKey = "admin-secret"
	testUIURL    = "http://ui.test:8233/"
)

// testEnv is a real Echo instance on a real test database, with two
// accounts to check tenant isolation, and Temporal replaced by the SDK's
// mock client (the API tests need no server; runs are tested elsewhere).
type testEnv struct {
	t        *testing.T
	db       *gorm.DB
	e        *echo.Echo
	srv      *server
	temporal *mocks.Client
	acct     *models.Account
	key      string
	other    *models.Account
	otherKey string

	mu       sync.Mutex
	started  []client.StartWorkflowOptions
	startErr error // what starting a run answers; nil: success
}

func newEnv(t *testing.T, edit ...func(*Options)) *testEnv {
	t.Helper()
	db := testdb.Open(t)
	v := &testEnv{t: t, db: db, temporal: &mocks.Client{}}
	v.temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
			v.mu.Lock()
			defer v.mu.Unlock()
			if v.startErr != nil {
				return nil, v.startErr
			}
			v.started = append(v.started, o)
			run := &mocks.WorkflowRun{}
			run.On("GetRunID").Return("run-" + models.NewID())
			run.On("GetID").Return(o.ID)
			return run, nil
		}).Maybe()
	v.temporal.On("CancelWorkflow", mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()

	log := slog.New(slog.DiscardHandler)
	enr := &enrollment.Service{DB: db, Temporal: v.temporal, Log: log}
	opts := Options{
		DB: db, Contacts: &contacts.Service{DB: db, Router: enr, Log: log}, Definitions: &definitions.Service{DB: db},
		Enrollments: enr, AdminKey: testAdminKey, Log: log, TemporalUIURL: testUIURL, Namespace: "default",
		Ready: func(context.Context) error { return nil },
	}
	for _, f := range edit {
		f(&opts)
	}
	v.e, v.srv = build(opts)

	var err error
	ctx := context.Background()
	if v.acct, v.key, err = accounts.Create(ctx, db, "Acme"); err != nil {
		t.Fatal(err)
	}
	if v.other, v.otherKey, err = accounts.Create(ctx, db, "Other"); err != nil {
		t.Fatal(err)
	}
	return v
}

// startedRuns returns the options of every run started so far.
func (v *testEnv) failStarts(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.startErr = err
}

func (v *testEnv) startedRuns() []client.StartWorkflowOptions {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]client.StartWorkflowOptions(nil), v.started...)
}

type result struct {
	t      *testing.T
	req    string
	Code   int
	Header http.Header
	Body   []byte
}

// do sends a request as the main account. body is nil (none), a string or
// []byte (sent as is), or anything else (sent as JSON); hdr are name, value pairs.
func (v *testEnv) do(method, path string, body any, hdr ...string) *result {
	v.t.Helper()
	return v.doAs(v.key, method, path, body, hdr...)
}

// doAs sends a request with the given API key ("" sends none).
func (v *testEnv) doAs(key, method, path string, body any, hdr ...string) *result {
	v.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			v.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	r := &result{t: v.t, req: method + " " + path, Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkAgainstSpec(v.t, method, path, raw, r)
	return r
}

// expect fails the test unless the status is code.
func (r *result) expect(code int) *result {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("%s: status %d, want %d; body: %s", r.req, r.Code, code, r.Body)
	}
	return r
}

// obj decodes the body as a JSON object.
func (r *result) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.Body)
	}
	return m
}

func (r *result) decode(dst any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, dst); err != nil {
		r.t.Fatalf("%s: decoding %T: %v: %s", r.req, dst, err, r.Body)
	}
}

// problem checks the answer is a problem+json of status code and returns it.
func (r *result) problem(code int) Problem {
	r.t.Helper()
	r.expect(code)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.t.Fatalf("%s: Content-Type %q, want application/problem+json; body: %s", r.req, ct, r.Body)
	}
	var p Problem
	r.decode(&p)
	if p.Status != code || p.Title == "" || p.Type == "" || p.Errors == nil {
		r.t.Fatalf("%s: incomplete problem %+v", r.req, p)
	}
	return p
}

// paths lists the paths a problem names.
func (p Problem) paths() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Path
	}
	return out
}

// wantPaths fails unless the problem names every path in want.
func wantPaths(t *testing.T, p Problem, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, e := range p.Errors {
		have[e.Path] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("problem does not name %q; it names %q (%+v)", w, p.paths(), p.Errors)
		}
	}
}

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadSpec() (*openapi3.T, routers.Router, error) {
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		spec.doc, spec.err = loader.LoadFromData(openapiYAML)
		if spec.err != nil {
			return
		}
		if spec.err = spec.doc.Validate(context.Background()); spec.err != nil {
			return
		}
		spec.router, spec.err = gorillamux.NewRouter(spec.doc)
	})
	return spec.doc, spec.router, spec.err
}

// checkAgainstSpec validates every answer the tests get against
// openapi.yaml, so the document cannot drift from what the API sends.
func checkAgainstSpec(t *testing.T, method, path string, body []byte, r *result) {
	t.Helper()
	_, router, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	route, params, err := router.FindRoute(req)
	if err != nil {
		return // an unknown route or method, answered 404/405 by design
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Code,
		Header:                 r.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: answer %d does not match openapi.yaml: %v\nbody: %s", method, path, r.Code, err, r.Body)
	}
}

// Fixtures.

func (v *testEnv) createContact(body any) map[string]any {
	v.t.Helper()
	return v.do(http.MethodPost, "/v1/contacts", body).expect(http.StatusCreated).obj()
}

func (v *testEnv) createContactAs(key string, body any) map[string]any {
	v.t.Helper()
	return v.doAs(key, http.MethodPost, "/v1/contacts", body).expect(http.StatusCreated).obj()
}

// simpleWorkflow is a valid definition: one SMS, fired by the tag "lead".
func simpleWorkflow(name string) map[string]any {
	return map[string]any{
		"name": name,
		"triggers": []any{map[string]any{"id": "t1", "type": "contact_tag_added",
			"filters": map[string]any{"all": []any{map[string]any{"field": "event.tag", "op": "is", "value": "lead"}}}}},
		"start": "s1",
		"steps": []any{map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "Hi {{contact.first_name}}!"}}},
	}
}

func (v *testEnv) createWorkflowAs(key string, def any) map[string]any {
	v.t.Helper()
	return v.doAs(key, http.MethodPost, "/v1/workflows", def).expect(http.StatusCreated).obj()
}

func (v *testEnv) publishedWorkflowAs(key, name string) string {
	v.t.Helper()
	id := v.createWorkflowAs(key, simpleWorkflow(name))["id"].(string)
	v.doAs(key, http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	return id
}

func count[M any](t *testing.T, db *gorm.DB, where ...any) int64 {
	t.Helper()
	var n int64
	q := db.Model(new(M))
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func str(v any) string { return fmt.Sprint(v) }
