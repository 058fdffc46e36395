package api

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// migrateHandle is a finished migrate update.
type migrateHandle struct {
	res workflows.MigrateResult
	err error
}

func (h migrateHandle) WorkflowID() string { return "" }
func (h migrateHandle) RunID() string      { return "" }
func (h migrateHandle) UpdateID() string   { return "" }
func (h migrateHandle) Get(_ context.Context, v any) error {
	if h.err == nil {
		*v.(*workflows.MigrateResult) = h.res
	}
	return h.err
}

// answerMigrations makes the mocked runs answer migrate updates: the run
// named refuse refuses with its step gone, every other one moves.
func (v *testEnv) answerMigrations(refuse string) *[]string {
	var mu sync.Mutex
	asked := &[]string{}
	v.temporal.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(
		func(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
			mu.Lock()
			*asked = append(*asked, o.WorkflowID)
			mu.Unlock()
			to := o.Args[0].(workflows.MigrateRequest).Version
			if o.WorkflowID == refuse {
				return migrateHandle{err: temporal.NewApplicationError(`moving to version 2: step "s0", where the contact waits, does not exist in version 2`, "wrapError")}, nil
			}
			return migrateHandle{res: workflows.MigrateResult{FromVersion: to - 1, ToVersion: to, StepID: "s1"}}, nil
		}).Maybe()
	return asked
}

// waitingEnrollment writes an enrollment waiting at step on version.
func (v *testEnv) waitingEnrollment(wf, step string, version int) *models.Enrollment {
	v.t.Helper()
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	id := models.NewID()
	e := &models.Enrollment{ID: id, AccountID: v.acct.ID, WorkflowID: wf, ContactID: ct, EntryKey: "1", EntryNo: 1, Version: version,
		Status: models.EnrollmentWaiting, CurrentStep: step, TemporalWorkflowID: "enroll/" + wf + "/" + ct + "/1", StartedAt: time.Now().UTC()}
	if err := v.db.Create(e).Error; err != nil {
		v.t.Fatal(err)
	}
	return e
}

func TestMigrateBadInput(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	path := "/v1/workflows/" + wf + "/migrate"
	for body, want := range map[string]string{
		`{"from_version": 0}`:                          "from_version",
		`{"from_version": "1"}`:                        "from_version",
		`{"from_version": 1.5}`:                        "from_version",
		`{"enrollment_ids": []}`:                       "enrollment_ids",
		`{"enrollment_ids": "e1"}`:                     "enrollment_ids",
		`{"enrollment_ids": ["e1", "e2", 3]}`:          "enrollment_ids[2]",
		`{"enrollment_ids": ["e1", ""]}`:               "enrollment_ids[1]",
		`{"enrollment_ids": ["e1", "e2", "e3", "e1"]}`: "enrollment_ids[3]",
		`{"cursor": "not-ours"}`:                       "cursor",
		`{"from_versoin": 1}`:                          "from_versoin",
	} {
		wantPaths(t, v.do(http.MethodPost, path, body).problem(http.StatusUnprocessableEntity), want)
	}
	v.do(http.MethodPost, path, `{"from_version": `).problem(http.StatusBadRequest)
	wantPaths(t, v.do(http.MethodPost, path+"?dry_run=1", nil).problem(http.StatusBadRequest), "dry_run")
	v.do(http.MethodPost, path, "from_version=1", "Content-Type", "application/x-www-form-urlencoded").problem(http.StatusUnsupportedMediaType)
}

func TestMigrateUnknownOrOtherAccountsWorkflowIs404(t *testing.T) {
	v := newEnv(t)
	theirs := v.publishedWorkflowAs(v.otherKey, "Theirs")
	v.doAs(v.otherKey, http.MethodPost, "/v1/workflows/"+theirs+"/publish", nil).expect(http.StatusOK)
	for _, id := range []string{theirs, models.NewID(), "nope"} {
		p := v.do(http.MethodPost, "/v1/workflows/"+id+"/migrate", nil).problem(http.StatusNotFound)
		if p.Detail != "workflow not found" {
			t.Errorf("%s: detail %q", id, p.Detail)
		}
	}
}

func TestMigrateNeverPublishedIs409AndDataFaultsAre422(t *testing.T) {
	v := newEnv(t)
	draft := v.createWorkflowAs(v.key, simpleWorkflow("Draft"))["id"].(string)
	p := v.do(http.MethodPost, "/v1/workflows/"+draft+"/migrate", nil).problem(http.StatusConflict)
	if p.Type != typeNotPublished {
		t.Errorf("type = %q", p.Type)
	}
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	path := "/v1/workflows/" + wf + "/migrate"
	wantPaths(t, v.do(http.MethodPost, path, `{"from_version": 1}`).problem(http.StatusUnprocessableEntity), "from_version")
	e := v.waitingEnrollment(wf, "s1", 1)
	wantPaths(t, v.do(http.MethodPost, path, map[string]any{"enrollment_ids": []string{e.ID, models.NewID()}}).problem(http.StatusUnprocessableEntity),
		"enrollment_ids[1]")
}

func TestMigrateReportsEachEnrollmentAndRepliesOnceToAnIdempotencyKey(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	moves := v.waitingEnrollment(wf, "s1", 1)
	stays := v.waitingEnrollment(wf, "s0", 1)
	v.do(http.MethodPost, "/v1/workflows/"+wf+"/publish", nil).expect(http.StatusOK)
	current := v.waitingEnrollment(wf, "s1", 2)
	asked := v.answerMigrations(stays.TemporalWorkflowID)

	path := "/v1/workflows/" + wf + "/migrate"
	var rep MigrateAnswer
	r := v.do(http.MethodPost, path, nil, "Idempotency-Key", "move-1").expect(http.StatusOK)
	r.decode(&rep)
	if rep.ToVersion != 2 || rep.Remaining != 0 || rep.NextCursor != nil {
		t.Errorf("answer = %s", r.Body)
	}
	if len(rep.Migrated) != 1 || rep.Migrated[0] != (MigratedAnswer{EnrollmentID: moves.ID, FromVersion: 1, ToVersion: 2, StepID: "s1"}) {
		t.Errorf("migrated = %+v", rep.Migrated)
	}
	want := NotMigratedItem{EnrollmentID: stays.ID, Version: 1, StepID: "s0",
		Reason: `step "s0", where the contact waits, does not exist in version 2`}
	if len(rep.NotMigrated) != 1 || rep.NotMigrated[0] != want {
		t.Errorf("not migrated = %+v", rep.NotMigrated)
	}
	for _, id := range *asked {
		if id == current.TemporalWorkflowID {
			t.Error("the enrollment on the latest version was asked to move")
		}
	}
	if n := len(*asked); n != 2 {
		t.Fatalf("%d updates sent, want 2", n)
	}
	again := v.do(http.MethodPost, path, nil, "Idempotency-Key", "move-1").expect(http.StatusOK)
	if again.Header.Get(headerReplayed) != "true" || string(again.Body) != string(r.Body) || len(*asked) != 2 {
		t.Errorf("repeat with the same key: replayed=%q, %d updates; body %s", again.Header.Get(headerReplayed), len(*asked), again.Body)
	}
	v.do(http.MethodPost, path, `{"from_version": 1}`, "Idempotency-Key", "move-1").problem(http.StatusUnprocessableEntity)

	// Filtered to one named enrollment, with an explicit body.
	r = v.do(http.MethodPost, path, map[string]any{"from_version": 1, "enrollment_ids": []string{moves.ID}}).expect(http.StatusOK)
	r.decode(&rep)
	if len(rep.Migrated) != 1 || len(rep.NotMigrated) != 0 || (*asked)[len(*asked)-1] != moves.TemporalWorkflowID {
		t.Errorf("named migration = %s", r.Body)
	}
}
