package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(removeFromWorkflow{}) }

// removeFromWorkflow takes the contact out of a workflow: out of this one
// (workflow_id omitted, or this workflow's id) by ending this enrollment as
// exited, or out of another one by ending its running enrollments there.
type removeFromWorkflow struct{ noTargets }

func (removeFromWorkflow) Type() string { return "remove_from_workflow" }
func (removeFromWorkflow) Remote() bool { return false }

// References names the workflow to remove the contact from (its own id is fine).
func (removeFromWorkflow) References(s *definition.Step) []Reference {
	var c workflowConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return literalRef(nil, "config.workflow_id", RefWorkflow, c.WorkflowID)
}

func (removeFromWorkflow) Validate(p *validation.Problems, s *definition.Step) {
	var c workflowConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if c.WorkflowID != "" {
		checkTemplate(p, "config.workflow_id", c.WorkflowID)
	}
}

func (removeFromWorkflow) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c workflowConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	target := call.WorkflowID
	if strings.TrimSpace(c.WorkflowID) != "" {
		v, err := call.Render(c.WorkflowID)
		if err != nil {
			return Result{}, fmt.Errorf("config.workflow_id: %w", err)
		}
		if v = strings.TrimSpace(v); v == "" {
			return Result{}, fail("config.workflow_id rendered empty: no workflow to remove the contact from")
		}
		target = v
	}
	if target == call.WorkflowID {
		// The interpreter ends this run as exited after the step: no
		// timer or send of this enrollment runs afterwards.
		return Result{Exit: true, Reason: "removed from workflow by step " + call.Step.ID,
			Output: map[string]any{"workflow_id": target, "removed": 1}}, nil
	}
	names, err := env.WorkflowNames(ctx, call, []string{call.WorkflowID})
	if err != nil {
		return Result{}, err
	}
	reason := fmt.Sprintf("removed by workflow %s step %s", nameOr(names, call.WorkflowID), call.Step.ID)
	n, err := env.RemoveFromWorkflow(ctx, call, target, reason)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"workflow_id": target, "removed": n}}, nil
}
