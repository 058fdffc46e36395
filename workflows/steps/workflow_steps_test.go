package steps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// workflowsEnv records what add_to_workflow and remove_from_workflow ask
// of the enrollment service; the other concerns stay nil.
type workflowsEnv struct {
	Env
	names   map[string]string
	added   []string
	removed []string
	reasons []string
	enrolls Enrolled
}

func (e *workflowsEnv) AddToWorkflow(_ context.Context, _ *Call, id string) (Enrolled, error) {
	e.added = append(e.added, id)
	return e.enrolls, nil
}

func (e *workflowsEnv) RemoveFromWorkflow(_ context.Context, _ *Call, id, reason string) (int, error) {
	e.removed, e.reasons = append(e.removed, id), append(e.reasons, reason)
	return 2, nil
}

func (e *workflowsEnv) WorkflowNames(_ context.Context, _ *Call, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if n, ok := e.names[id]; ok {
			out[id] = n
		}
	}
	return out, nil
}

// runWorkflowStep runs the step in workflow wfA, or in the last of chain
// when chain is given: chain is the enrollment's Chain plus its workflow.
func runWorkflowStep(t *testing.T, env *workflowsEnv, typ, config string, chain []string) (Result, error) {
	t.Helper()
	step := definition.Step{ID: "s1", Type: typ, Config: json.RawMessage(config)}
	k, _ := Lookup(typ)
	p := validation.NewProblems()
	k.Validate(p, &step)
	if errs := p.Errors(); errs != nil {
		t.Fatalf("%s %s: faults on save: %v", typ, config, errs)
	}
	call := &Call{WorkflowID: "wfA", Step: step}
	if len(chain) > 0 {
		call.Chain, call.WorkflowID = chain[:len(chain)-1], chain[len(chain)-1]
	}
	call.Scope = map[string]any{"contact": map[string]any{"custom": map[string]any{"next": "wfB"}}}
	return k.(Action).Execute(context.Background(), env, call)
}

func TestAddToWorkflowStopsAtTheDepthLimit(t *testing.T) {
	env := &workflowsEnv{names: map[string]string{"wfA": "A", "wfB": "B"}, enrolls: Enrolled{EnrollmentID: "e1", Created: true}}
	// Four workflows above this one (wfA): the new enrollment is the fifth nested one.
	res, err := runWorkflowStep(t, env, "add_to_workflow", `{"workflow_id": "{{contact.custom.next}}"}`, []string{"wfA", "wfB", "wfA", "wfB", "wfA"})
	if err != nil || res.Skipped || res.Output["enrollment_id"] != "e1" || res.Output["created"] != true || res.Output["workflow_id"] != "wfB" {
		t.Fatalf("at depth 4: %+v, %v", res, err)
	}
	if len(env.added) != 1 || env.added[0] != "wfB" {
		t.Fatalf("added to %v, want wfB", env.added)
	}
	// Five above this one (wfB): a sixth would pass the limit.
	res, err = runWorkflowStep(t, env, "add_to_workflow", `{"workflow_id": "wfA"}`, []string{"wfA", "wfB", "wfA", "wfB", "wfA", "wfB"})
	if err != nil || !res.Skipped {
		t.Fatalf("at depth 5: %+v, %v; want skipped", res, err)
	}
	want := "not added to A: workflow chain A → B → A → B → A → B reached the depth limit of 5"
	if res.Reason != want {
		t.Errorf("reason = %q, want %q", res.Reason, want)
	}
	if len(env.added) != 1 {
		t.Errorf("the step enrolled past the limit: %v", env.added)
	}
}

func TestAddToWorkflowSkipsWhenTheContactIsKeptOut(t *testing.T) {
	env := &workflowsEnv{names: map[string]string{"wfB": "Onboarding"}, enrolls: Enrolled{EnrollmentID: "old", Status: "completed", Finished: true}}
	res, err := runWorkflowStep(t, env, "add_to_workflow", `{"workflow_id": "wfB"}`, nil)
	if err != nil || !res.Skipped || res.Output["enrollment_id"] != "old" || res.Output["created"] != false ||
		!strings.Contains(res.Reason, "was in workflow Onboarding before and its re-entry setting is off") {
		t.Errorf("re-entry off: %+v, %v", res, err)
	}
	env.enrolls = Enrolled{EnrollmentID: "running", Status: "waiting"}
	res, _ = runWorkflowStep(t, env, "add_to_workflow", `{"workflow_id": "wfB"}`, nil)
	if !res.Skipped || !strings.Contains(res.Reason, "is in workflow Onboarding already (waiting)") {
		t.Errorf("still in it: %+v", res)
	}
	_, err = runWorkflowStep(t, env, "add_to_workflow", `{"workflow_id": "{{contact.custom.none}}"}`, nil)
	var f *Failure
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "rendered empty") {
		t.Errorf("empty id: %v, want a Failure", err)
	}
}

func TestRemoveFromWorkflowExitsItselfOrEndsAnother(t *testing.T) {
	env := &workflowsEnv{names: map[string]string{"wfA": "Nurture"}}
	for _, config := range []string{`{}`, `{"workflow_id": "wfA"}`} {
		res, err := runWorkflowStep(t, env, "remove_from_workflow", config, nil)
		if err != nil || !res.Exit || res.Reason != "removed from workflow by step s1" {
			t.Errorf("%s: %+v, %v; want an exit", config, res, err)
		}
	}
	if len(env.removed) != 0 {
		t.Errorf("removing itself went through the enrollment service: %v", env.removed)
	}
	res, err := runWorkflowStep(t, env, "remove_from_workflow", `{"workflow_id": "{{contact.custom.next}}"}`, nil)
	if err != nil || res.Exit || res.Output["removed"] != 2 || res.Output["workflow_id"] != "wfB" {
		t.Fatalf("another workflow: %+v, %v", res, err)
	}
	if len(env.removed) != 1 || env.removed[0] != "wfB" || env.reasons[0] != "removed by workflow Nurture step s1" {
		t.Errorf("removed %v with %q", env.removed, env.reasons)
	}
}
