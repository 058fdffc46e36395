package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(addToWorkflow{}) }

// MaxWorkflowDepth is how many enrollments deep add_to_workflow steps may
// nest: a contact entered by a trigger or the API is at depth 0, the
// enrollment its add_to_workflow step makes at 1, and so on. Past it the
// step is skipped, so workflows that add each other (A adds to B, B adds to
// A, with re-entry on) stop instead of looping forever.
const MaxWorkflowDepth = 5

type workflowConfig struct {
	WorkflowID string `json:"workflow_id,omitempty"`
}

// addToWorkflow enrolls the contact into another workflow of the account,
// which then runs on its own, following that workflow's re-entry setting.
type addToWorkflow struct{ noTargets }

func (addToWorkflow) Type() string { return "add_to_workflow" }
func (addToWorkflow) Remote() bool { return false }

// References names the target workflow, which may be a draft (two
// workflows that add each other are published one after the other) but
// not the workflow itself: the contact is in it while the step runs, and
// an enrollment still running keeps the same contact from entering again
// whatever the re-entry setting, so the step could only ever be skipped.
func (addToWorkflow) References(s *definition.Step) []Reference {
	var c workflowConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	refs := literalRef(nil, "config.workflow_id", RefWorkflow, c.WorkflowID)
	for i := range refs {
		refs[i].SelfFault = "a workflow cannot add its contact to itself: " +
			"the contact is still in it when the step runs, so it would always be skipped; use a goto step to loop"
	}
	return refs
}

func (addToWorkflow) Validate(p *validation.Problems, s *definition.Step) {
	var c workflowConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.workflow_id", c.WorkflowID) {
		checkTemplate(p, "config.workflow_id", c.WorkflowID)
	}
}

func (addToWorkflow) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c workflowConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	target, err := call.Render(c.WorkflowID)
	if err != nil {
		return Result{}, fmt.Errorf("config.workflow_id: %w", err)
	}
	if target = strings.TrimSpace(target); target == "" {
		return Result{}, fail("config.workflow_id rendered empty: no workflow to add the contact to")
	}
	if len(call.Chain) >= MaxWorkflowDepth {
		chain := append(append([]string{}, call.Chain...), call.WorkflowID)
		names, err := env.WorkflowNames(ctx, call, append(chain, target))
		if err != nil {
			return Result{}, err
		}
		named := make([]string, len(chain))
		for i, id := range chain {
			named[i] = nameOr(names, id)
		}
		return Result{Skipped: true, Output: map[string]any{"workflow_id": target, "created": false, "chain": chain},
			Reason: fmt.Sprintf("not added to %s: workflow chain %s reached the depth limit of %d",
				nameOr(names, target), strings.Join(named, " → "), MaxWorkflowDepth)}, nil
	}
	e, err := env.AddToWorkflow(ctx, call, target)
	if err != nil {
		return Result{}, err
	}
	out := map[string]any{"enrollment_id": e.EnrollmentID, "workflow_id": target, "created": e.Created}
	if !e.Created {
		names, err := env.WorkflowNames(ctx, call, []string{target})
		if err != nil {
			return Result{}, err
		}
		why := fmt.Sprintf("the contact is in workflow %s already (%s)", nameOr(names, target), e.Status)
		if e.Finished {
			why = fmt.Sprintf("the contact was in workflow %s before and its re-entry setting is off", nameOr(names, target))
		}
		return Result{Skipped: true, Output: out, Reason: "not added: " + why}, nil
	}
	return Result{Output: out}, nil
}

// nameOr is a workflow's name for the execution log, else its id.
func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}
