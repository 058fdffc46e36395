package api

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/enums/v1"

	"github.com/crmflow/crmflow/models"
)

func TestEnroll(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)

	e := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	tid := "enroll/" + wf + "/" + ct + "/1"
	if e["workflow_id"] != wf || e["contact_id"] != ct || e["version"] != 1.0 || e["test"] != false ||
		e["temporal_workflow_id"] != tid || e["temporal_run_id"] == "" || e["started_at"] == nil {
		t.Fatalf("enrollment = %v", e)
	}
	wantURL := "http://ui.test:8233/namespaces/default/workflows/" + url.PathEscape(tid) + "/" + e["temporal_run_id"].(string) + "/history"
	if e["temporal_ui_url"] != wantURL {
		t.Fatalf("temporal_ui_url = %v, want %s", e["temporal_ui_url"], wantURL)
	}
	runs := v.startedRuns()
	if len(runs) != 1 || runs[0].ID != tid || runs[0].WorkflowIDConflictPolicy != enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING {
		t.Fatalf("runs started: %+v", runs)
	}
	if runs[0].TypedSearchAttributes.Size() != 3 {
		t.Fatalf("search attributes: %v", runs[0].TypedSearchAttributes)
	}

	// Re-entry is off: the existing enrollment comes back with 200 and no new run.
	again := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusOK).obj()
	if again["id"] != e["id"] || len(v.startedRuns()) != 1 {
		t.Fatalf("second enroll = %v (%d runs)", again, len(v.startedRuns()))
	}
}

func TestEnrollBadInput(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	path := "/v1/workflows/" + wf + "/enrollments"
	for _, p := range []string{path, "/v1/workflows/" + wf + "/test"} {
		wantPaths(t, v.do(http.MethodPost, p, `{}`).problem(http.StatusUnprocessableEntity), "contact_id")
		wantPaths(t, v.do(http.MethodPost, p, `{"contact_id": ""}`).problem(http.StatusUnprocessableEntity), "contact_id")
		wantPaths(t, v.do(http.MethodPost, p, `{"contact_id": 7}`).problem(http.StatusUnprocessableEntity), "contact_id")
		wantPaths(t, v.do(http.MethodPost, p, `{"contact_id": "x", "when": "now"}`).problem(http.StatusUnprocessableEntity), "when")
		v.do(http.MethodPost, p, `{"contact_id": `).problem(http.StatusBadRequest)
		wantPaths(t, v.do(http.MethodPost, p, `{"contact_id": "nope"}`).problem(http.StatusNotFound), "contact_id")
	}
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	for _, id := range []string{"nope", models.NewID()} {
		v.do(http.MethodPost, "/v1/workflows/"+id+"/enrollments", map[string]any{"contact_id": ct}).problem(http.StatusNotFound)
		v.do(http.MethodPost, "/v1/workflows/"+id+"/test", map[string]any{"contact_id": ct}).problem(http.StatusNotFound)
		v.do(http.MethodGet, "/v1/workflows/"+id+"/enrollments", nil).problem(http.StatusNotFound)
		v.do(http.MethodGet, "/v1/enrollments/"+id, nil).problem(http.StatusNotFound)
		v.do(http.MethodPost, "/v1/enrollments/"+id+"/cancel", nil).problem(http.StatusNotFound)
	}
	if n := count[models.Enrollment](t, v.db); n != 0 {
		t.Fatalf("%d enrollments from bad input", n)
	}
}

func TestEnrollDraftIs409(t *testing.T) {
	v := newEnv(t)
	wf := v.createWorkflowAs(v.key, simpleWorkflow("Draft"))["id"].(string)
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	p := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).problem(http.StatusConflict)
	if p.Type != typeNotPublished {
		t.Fatalf("type = %q", p.Type)
	}
}

func TestTestWorkflow(t *testing.T) {
	v := newEnv(t)
	wf := v.createWorkflowAs(v.key, simpleWorkflow("Draft"))["id"].(string)
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	a := v.do(http.MethodPost, "/v1/workflows/"+wf+"/test", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	b := v.do(http.MethodPost, "/v1/workflows/"+wf+"/test", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	if a["test"] != true || a["id"] == b["id"] || len(v.startedRuns()) != 2 {
		t.Fatalf("test runs: %v / %v", a, b)
	}
}

func TestEnrollWhenTemporalIsDown(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	v.failStarts(errors.New("connection refused"))
	e := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	if e["status"] != models.EnrollmentPending || e["temporal_ui_url"] != nil {
		t.Fatalf("enrollment = %v; want pending, started later by the sweeper", e)
	}
}

func TestGetEnrollmentWithSteps(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	id := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()["id"].(string)

	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	done := t0.Add(time.Second)
	rows := []models.StepExecution{ // written out of order on purpose
		{StepID: "s2", Visit: 1, StepType: "wait", Status: models.StepWaiting, StartedAt: t0.Add(2 * time.Second)},
		{StepID: "s1", Visit: 1, StepType: "send_sms", StepName: "Welcome", Status: models.StepCompleted, Attempts: 1,
			StartedAt: t0, FinishedAt: &done, Output: map[string]any{"message_id": "m1"}},
	}
	for i := range rows {
		rows[i].ID, rows[i].AccountID, rows[i].WorkflowID, rows[i].EnrollmentID, rows[i].ContactID = models.NewID(), v.acct.ID, wf, id, ct
		if err := v.db.Create(&rows[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	var got EnrollmentDetail
	v.do(http.MethodGet, "/v1/enrollments/"+id, nil).expect(http.StatusOK).decode(&got)
	if got.ID != id || len(got.Steps) != 2 {
		t.Fatalf("detail = %+v", got)
	}
	s1 := got.Steps[0]
	if s1.StepID != "s1" || s1.Type != "send_sms" || s1.Name != "Welcome" || s1.Status != "completed" || s1.Attempts != 1 ||
		!s1.StartedAt.Equal(t0) || s1.FinishedAt == nil || !s1.FinishedAt.Equal(done) || s1.Output["message_id"] != "m1" {
		t.Fatalf("first step = %+v", s1)
	}
	if s2 := got.Steps[1]; s2.StepID != "s2" || s2.Status != "waiting" || s2.FinishedAt != nil {
		t.Fatalf("second step = %+v", s2)
	}
}

func TestCancelEnrollment(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	e := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	id := e["id"].(string)

	got := v.do(http.MethodPost, "/v1/enrollments/"+id+"/cancel", nil).expect(http.StatusOK).obj()
	if got["status"] != "exited" || got["exit_reason"] == "" || got["finished_at"] == nil {
		t.Fatalf("cancelled = %v", got)
	}
	v.temporal.AssertCalled(t, "CancelWorkflow", mock.Anything, e["temporal_workflow_id"], "")
	// Cancelling again changes nothing.
	again := v.do(http.MethodPost, "/v1/enrollments/"+id+"/cancel", nil).expect(http.StatusOK).obj()
	if again["finished_at"] != got["finished_at"] {
		t.Fatalf("second cancel changed the enrollment: %v", again)
	}
	v.temporal.AssertNumberOfCalls(t, "CancelWorkflow", 1)
}

func TestListEnrollments(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	a := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	b := v.createContact(map[string]any{"first_name": "Bob"})["id"].(string)
	ea := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": a}).expect(http.StatusCreated).obj()["id"].(string)
	eb := v.do(http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": b}).expect(http.StatusCreated).obj()["id"].(string)
	v.do(http.MethodPost, "/v1/enrollments/"+eb+"/cancel", nil).expect(http.StatusOK)

	list := func(q string) []string {
		var l List[EnrollmentAnswer]
		v.do(http.MethodGet, "/v1/workflows/"+wf+"/enrollments"+q, nil).expect(http.StatusOK).decode(&l)
		out := []string{}
		for _, e := range l.Items {
			out = append(out, e.ID)
		}
		return out
	}
	cases := map[string][]string{
		"":                   {ea, eb},
		"?status=exited":     {eb},
		"?status=completed":  {},
		"?contact_id=" + a:   {ea},
		"?contact_id=nobody": {},
	}
	for q, want := range cases {
		if got := list(q); !reflect.DeepEqual(got, want) {
			t.Errorf("enrollments%s = %v, want %v", q, got, want)
		}
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/workflows/"+wf+"/enrollments?status=done", nil).problem(http.StatusBadRequest), "status")
}
