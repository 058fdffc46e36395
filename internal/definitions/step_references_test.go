package definitions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// refFixture is an account with a user and two pipelines, and another
// account with a user and a pipeline of its own.
type refFixture struct {
	s                     *Service
	acct, other           string
	user, theirUser       string
	sales, support        string // pipelines of acct
	lead, won, ticket     string // stages: lead and won of sales, ticket of support
	theirPipe, theirStage string
}

func newRefFixture(t *testing.T) *refFixture {
	t.Helper()
	db := testdb.Open(t)
	f := &refFixture{s: &Service{DB: db}, acct: models.NewID(), other: models.NewID()}
	for _, id := range []string{f.acct, f.other} {
		if err := db.Create(&models.Account{ID: id, Name: id, Timezone: "UTC"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	user := func(acct string) string {
		u := models.User{ID: models.NewID(), AccountID: acct, Name: "U"}
		if err := db.Create(&u).Error; err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	pipeline := func(acct string, stages ...*string) string {
		p := models.Pipeline{ID: models.NewID(), AccountID: acct, Name: "P"}
		if err := db.Omit("Stages").Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		for i, st := range stages {
			*st = models.NewID()
			if err := db.Create(&models.PipelineStage{ID: *st, AccountID: acct, PipelineID: p.ID, Name: *st, Position: i}).Error; err != nil {
				t.Fatal(err)
			}
		}
		return p.ID
	}
	f.user, f.theirUser = user(f.acct), user(f.other)
	f.sales = pipeline(f.acct, &f.lead, &f.won)
	f.support = pipeline(f.acct, &f.ticket)
	f.theirPipe = pipeline(f.other, &f.theirStage)
	return f
}

// publish saves a workflow of the account whose second step is step, and publishes it.
func (f *refFixture) publish(t *testing.T, step string) error {
	t.Helper()
	wf, _, err := f.s.Create(context.Background(), f.acct, []byte(`{"name": "w", "start": "x", "steps": [
		{"id": "x", "type": "add_tag", "config": {"tags": ["t"]}, "next": "a"}, `+step+`]}`))
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	_, err = f.s.Publish(context.Background(), f.acct, wf.ID)
	return err
}

func TestPublishAcceptsReferencesToRecordsOfTheAccount(t *testing.T) {
	f := newRefFixture(t)
	for _, step := range []string{
		`{"id": "a", "type": "assign_user", "config": {"user_ids": ["` + f.user + `", "{{contact.custom.owner}}"]}}`,
		`{"id": "a", "type": "internal_notification", "config": {"channel": "email", "user_ids": ["` + f.user + `"], "body": "hi"}}`,
		`{"id": "a", "type": "add_task", "config": {"title": "Call", "assignee_id": "` + f.user + `"}}`,
		`{"id": "a", "type": "add_task", "config": {"title": "Call", "assignee_id": "{{contact.assigned_user_id}}"}}`,
		`{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "` + f.sales + `", "stage_id": "` + f.won + `"}}`,
		`{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "{{event.pipeline_id}}", "stage_id": "` + f.ticket + `"}}`,
		`{"id": "a", "type": "update_opportunity", "config": {"pipeline_id": "` + f.support + `", "stage_id": "` + f.ticket + `"}}`,
		`{"id": "a", "type": "update_opportunity", "config": {"pipeline_id": "` + f.sales + `", "stage_id": "{{event.stage_id}}"}}`,
		`{"id": "a", "type": "remove_opportunity", "config": {"pipeline_id": "` + f.sales + `"}}`,
		`{"id": "a", "type": "remove_opportunity"}`,
	} {
		if err := f.publish(t, step); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
}

func TestPublishRefusesReferencesToRecordsThatDoNotExist(t *testing.T) {
	f := newRefFixture(t)
	for _, tc := range []struct{ step, path, want string }{
		{`{"id": "a", "type": "assign_user", "config": {"user_ids": ["nope"]}}`,
			"steps[1].config.user_ids[0]", `user "nope" does not exist`},
		// Another account's record is no record here, word for word.
		{`{"id": "a", "type": "assign_user", "config": {"user_ids": ["` + f.user + `", "` + f.theirUser + `"], "mode": "first"}}`,
			"steps[1].config.user_ids[1]", `user "` + f.theirUser + `" does not exist`},
		{`{"id": "a", "type": "internal_notification", "config": {"channel": "sms", "user_ids": ["` + f.theirUser + `"], "body": "hi"}}`,
			"steps[1].config.user_ids[0]", `user "` + f.theirUser + `" does not exist`},
		{`{"id": "a", "type": "add_task", "config": {"title": "Call", "assignee_id": "gone"}}`,
			"steps[1].config.assignee_id", `user "gone" does not exist`},
		{`{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "` + f.theirPipe + `"}}`,
			"steps[1].config.pipeline_id", `pipeline "` + f.theirPipe + `" does not exist`},
		{`{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "` + f.sales + `", "stage_id": "` + f.ticket + `"}}`,
			"steps[1].config.stage_id", `stage "` + f.ticket + `" is not a stage of pipeline "` + f.sales + `"`},
		{`{"id": "a", "type": "update_opportunity", "config": {"pipeline_id": "` + f.sales + `", "stage_id": "gone"}}`,
			"steps[1].config.stage_id", `stage "gone" does not exist`},
		{`{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "{{event.pipeline_id}}", "stage_id": "` + f.theirStage + `"}}`,
			"steps[1].config.stage_id", `stage "` + f.theirStage + `" does not exist`},
		{`{"id": "a", "type": "remove_opportunity", "config": {"pipeline_id": "gone"}}`,
			"steps[1].config.pipeline_id", `pipeline "gone" does not exist`},
	} {
		var errs validation.Errors
		err := f.publish(t, tc.step)
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != tc.path || errs[0].Message != tc.want {
			t.Errorf("%s: %v, want %s: %s", tc.step, err, tc.path, tc.want)
		}
	}
}

// Every fault of a definition's references shows in one answer: trigger
// links, and each record named by each step.
func TestPublishNamesEveryMissingReferenceAtOnce(t *testing.T) {
	f := newRefFixture(t)
	wf, _, err := f.s.Create(context.Background(), f.acct, []byte(`{"name": "w", "start": "a", "steps": [
		{"id": "a", "type": "send_sms", "config": {"body": "Go {{trigger_link.nope}}"}, "next": "b"},
		{"id": "b", "type": "create_opportunity", "config": {"pipeline_id": "p?", "stage_id": "s?"}, "next": "c"},
		{"id": "c", "type": "add_to_workflow", "config": {"workflow_id": "w?"}, "next": "d"},
		{"id": "d", "type": "assign_user", "config": {"user_ids": ["u?"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Publish(context.Background(), f.acct, wf.ID)
	var errs validation.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("publish: %v, want faults", err)
	}
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	want := "steps[0].config,steps[1].config.pipeline_id,steps[1].config.stage_id,steps[2].config.workflow_id,steps[3].config.user_ids[0]"
	if strings.Join(paths, ",") != want {
		t.Errorf("faults at %v, want %s", paths, want)
	}
	var versions int64
	f.s.DB.Model(&models.WorkflowVersion{}).Where("workflow_id = ?", wf.ID).Count(&versions)
	if versions != 0 {
		t.Error("a refused publish froze a version")
	}
}

func TestDeletingAWorkflowThatPublishedWorkflowsAddToIsRefused(t *testing.T) {
	f := newRefFixture(t)
	ctx := context.Background()
	save := func(name, steps string) string {
		t.Helper()
		wf, _, err := f.s.Create(ctx, f.acct, []byte(`{"name": "`+name+`", "start": "a", "steps": [`+steps+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		return wf.ID
	}
	target := save("target", `{"id": "a", "type": "end"}`)
	adds := save("adds", `{"id": "a", "type": "add_to_workflow", "config": {"workflow_id": "`+target+`"}}`)
	removes := save("removes", `{"id": "a", "type": "remove_from_workflow", "config": {"workflow_id": "`+target+`"}}`)
	save("draft", `{"id": "a", "type": "add_to_workflow", "config": {"workflow_id": "`+target+`"}}`) // never published
	for _, id := range []string{adds, removes} {
		if _, err := f.s.Publish(ctx, f.acct, id); err != nil {
			t.Fatal(err)
		}
	}
	var inUse *InUseError
	if err := f.s.Delete(ctx, f.acct, target); !errors.As(err, &inUse) || strings.Join(inUse.Workflows, ",") != `"adds","removes"` ||
		!strings.Contains(err.Error(), `the workflow is used by the published workflows "adds" (`+inUse.IDs[0]+`), "removes" (`+inUse.IDs[1]+`)`) {
		t.Fatalf("delete: %v, want it refused naming adds and removes", err)
	}
	if _, err := f.s.Get(ctx, f.acct, target); err != nil {
		t.Fatalf("the refused delete removed the workflow: %v", err)
	}
	// Another account's id answers not found, whatever uses it here.
	if err := f.s.Delete(ctx, f.other, target); !errors.Is(err, ErrNotFound) {
		t.Errorf("another account's delete: %v", err)
	}
	for _, id := range []string{adds, removes} {
		if _, err := f.s.Draft(ctx, f.acct, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.Delete(ctx, f.acct, target); err != nil {
		t.Errorf("delete once its users are drafts: %v", err)
	}
	// A workflow that removes the contact from itself may go.
	self := save("self", `{"id": "a", "type": "end"}`)
	if _, _, err := f.s.Update(ctx, f.acct, self, []byte(`{"name": "self", "start": "a", "steps": [
		{"id": "a", "type": "remove_from_workflow", "config": {"workflow_id": "`+self+`"}}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Publish(ctx, f.acct, self); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Delete(ctx, f.acct, self); err != nil {
		t.Errorf("delete a workflow that names only itself: %v", err)
	}
}

// UsedBy looks at the live version only: a step removed in a later
// published version no longer counts, and unpublished edits do not either.
func TestUsedByReadsTheLiveVersion(t *testing.T) {
	f := newRefFixture(t)
	ctx := context.Background()
	uses := `{"name": "w", "start": "a", "steps": [{"id": "a", "type": "assign_user", "config": {"user_ids": ["` + f.user + `"]}}]}`
	clean := `{"name": "w", "start": "a", "steps": [{"id": "a", "type": "end"}]}`
	wf, _, err := f.s.Create(ctx, f.acct, []byte(uses))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Publish(ctx, f.acct, wf.ID); err != nil {
		t.Fatal(err)
	}
	usedBy := func() string {
		t.Helper()
		names, err := UsedBy(f.s.DB, f.acct, Naming("user", f.user))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(names, ",")
	}
	if _, _, err := f.s.Update(ctx, f.acct, wf.ID, []byte(clean)); err != nil {
		t.Fatal(err)
	}
	if got := usedBy(); got != `"w"` {
		t.Errorf("with an unpublished edit: used by %s, want \"w\"", got)
	}
	if _, err := f.s.Publish(ctx, f.acct, wf.ID); err != nil {
		t.Fatal(err)
	}
	if got := usedBy(); got != "" {
		t.Errorf("after publishing a version without it: used by %s", got)
	}
	if names, _ := UsedBy(f.s.DB, f.other, Naming("user", f.user)); len(names) != 0 {
		t.Errorf("another account sees %v", names)
	}
}
