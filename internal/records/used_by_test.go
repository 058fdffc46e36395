package records

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/definitions"
)

// publishWorkflow saves and publishes a one-step workflow of the account.
func (f *fixture) publishWorkflow(t *testing.T, name, step string) string {
	t.Helper()
	defs := &definitions.Service{DB: f.s.DB}
	wf, _, err := defs.Create(context.Background(), f.acct, []byte(`{"name": "`+name+`", "start": "a", "steps": [`+step+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := defs.Publish(context.Background(), f.acct, wf.ID); err != nil {
		t.Fatal(err)
	}
	return wf.ID
}

func (f *fixture) draftWorkflow(t *testing.T, id string) {
	t.Helper()
	if _, err := (&definitions.Service{DB: f.s.DB}).Draft(context.Background(), f.acct, id); err != nil {
		t.Fatal(err)
	}
}

// wantInUse fails unless err refuses the change naming exactly workflows.
func wantInUse(t *testing.T, err error, path string, workflows ...string) {
	t.Helper()
	var iu *definitions.InUseError
	if !errors.As(err, &iu) || iu.Path != path || strings.Join(iu.Workflows, ",") != strings.Join(workflows, ",") {
		t.Errorf("err = %v, want it refused at %q as used by %v", err, path, workflows)
	}
}

func TestDeletingAUserThatPublishedWorkflowsNameIsRefused(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u, err := f.s.CreateUser(ctx, f.acct, UserInput{Name: ptr("Grace")})
	if err != nil {
		t.Fatal(err)
	}
	assigns := f.publishWorkflow(t, "assigns", `{"id": "a", "type": "assign_user", "config": {"user_ids": ["`+u.ID+`"]}}`)
	tasks := f.publishWorkflow(t, "tasks", `{"id": "a", "type": "add_task", "config": {"title": "Call", "assignee_id": "`+u.ID+`"}}`)
	f.publishWorkflow(t, "templated", `{"id": "a", "type": "assign_user", "config": {"user_ids": ["{{contact.custom.owner}}"]}}`)
	err = f.s.DeleteUser(ctx, f.acct, u.ID)
	wantInUse(t, err, "", `"assigns"`, `"tasks"`)
	if err == nil || !strings.HasPrefix(err.Error(), `the user "Grace" is used by the published workflows "assigns" (`) || !strings.Contains(err.Error(), `, "tasks" (`+tasks+`)`) {
		t.Errorf("message = %v", err)
	}
	wantNotFound(t, f.s.DeleteUser(ctx, f.other, u.ID), "user")
	if _, err := f.s.GetUser(ctx, f.acct, u.ID); err != nil {
		t.Fatalf("the refused delete removed the user: %v", err)
	}
	f.draftWorkflow(t, assigns)
	wantInUse(t, f.s.DeleteUser(ctx, f.acct, u.ID), "", `"tasks"`)
	f.draftWorkflow(t, tasks)
	if err := f.s.DeleteUser(ctx, f.acct, u.ID); err != nil {
		t.Errorf("delete once the workflows are drafts: %v", err)
	}
}

func TestDeletingAPipelineOrStageThatPublishedWorkflowsNameIsRefused(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.pipeline(t, "Lead", "Won", "Lost")
	lead, won, lost := p.Stages[0], p.Stages[1], p.Stages[2]
	// The pipeline by its id; the won stage with it; the lost stage alone
	// (its pipeline a template).
	removes := f.publishWorkflow(t, "removes", `{"id": "a", "type": "remove_opportunity", "config": {"pipeline_id": "`+p.ID+`"}}`)
	wins := f.publishWorkflow(t, "wins", `{"id": "a", "type": "update_opportunity", "config": {"pipeline_id": "`+p.ID+`", "stage_id": "`+won.ID+`"}}`)
	loses := f.publishWorkflow(t, "loses", `{"id": "a", "type": "create_opportunity", "config": {"pipeline_id": "{{event.pipeline_id}}", "stage_id": "`+lost.ID+`"}}`)

	keep := func(stages ...string) *[]StageInput {
		var in []StageInput
		for _, id := range stages {
			in = append(in, StageInput{ID: ptr(id), Name: ptr(id)})
		}
		return &in
	}
	_, err := f.s.UpdatePipeline(ctx, f.acct, p.ID, PipelineInput{Stages: keep(lead.ID, lost.ID)})
	wantInUse(t, err, "stages", `"wins"`)
	if err == nil || !strings.HasPrefix(err.Error(), `the stage "Won" (`+won.ID+`) is used by the published workflow "wins" (`) {
		t.Errorf("message = %v", err)
	}
	_, err = f.s.UpdatePipeline(ctx, f.acct, p.ID, PipelineInput{Stages: keep(lead.ID, won.ID)})
	wantInUse(t, err, "stages", `"loses"`)
	if got, _ := f.s.GetPipeline(ctx, f.acct, p.ID); len(got.Stages) != 3 || got.Stages[1].Name != "Won" {
		t.Errorf("a refused update changed the pipeline: %+v", got.Stages)
	}
	// A stage no published workflow names goes.
	if _, err := f.s.UpdatePipeline(ctx, f.acct, p.ID, PipelineInput{Stages: keep(won.ID, lost.ID)}); err != nil {
		t.Errorf("dropping a stage no workflow names: %v", err)
	}

	wantInUse(t, f.s.DeletePipeline(ctx, f.acct, p.ID), "", `"loses"`, `"removes"`, `"wins"`)
	f.draftWorkflow(t, removes)
	f.draftWorkflow(t, wins)
	// The lost stage goes with its pipeline: still in use.
	wantInUse(t, f.s.DeletePipeline(ctx, f.acct, p.ID), "", `"loses"`)
	f.draftWorkflow(t, loses)
	if err := f.s.DeletePipeline(ctx, f.acct, p.ID); err != nil {
		t.Errorf("delete once the workflows are drafts: %v", err)
	}
}
