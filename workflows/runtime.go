package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// runtime is what flow steps may use of the interpreter (steps.Runtime).
type runtime struct{ r *run }

// FirstMatch evaluates the conditions in a local activity, where the
// contact's current data can be read; the answer is recorded in history, so
// replays take the same branch.
func (rt *runtime) FirstMatch(ctx workflow.Context, s *definition.Step, conds []*condition.Node) (int, error) {
	return rt.r.evaluate(ctx, s, conds, nil)
}

// Holds is steps.Runtime.Holds.
func (rt *runtime) Holds(ctx workflow.Context, s *definition.Step, cond *condition.Node, ev *steps.Event) (bool, error) {
	i, err := rt.r.evaluate(ctx, s, []*condition.Node{cond}, ev)
	return i == 0, err
}

// evaluate runs ActivityEvaluate; ev, when set, is what event.* reads.
func (r *run) evaluate(ctx workflow.Context, s *definition.Step, conds []*condition.Node, ev *Event) (int, error) {
	in := EvaluateInput{StepInput: r.stepInput(ctx, s), Conditions: conds}
	if ev != nil {
		in.Event = ev
	}
	var idx int
	err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityEvaluate, in).Get(ctx, &idx)
	return idx, err
}

// stepInput is what activities of step s are given.
func (r *run) stepInput(ctx workflow.Context, s *definition.Step) StepInput {
	return StepInput{Run: r.ref(), Step: *s, Visit: r.cursor.Visits[s.ID], Settings: r.def.Settings,
		Event: r.in.Event, Outputs: r.cursor.Outputs, StartedAt: workflow.Now(ctx)}
}

// Resolve is steps.Runtime.Resolve.
func (rt *runtime) Resolve(ctx workflow.Context, s *definition.Step, req steps.ResolveRequest) (steps.Resolved, error) {
	var res steps.Resolved
	in := ResolveInput{StepInput: rt.r.stepInput(ctx, s), Request: req}
	err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityResolve, in).Get(ctx, &res)
	return res, err
}

// StickyKey is steps.Runtime.StickyKey: the workflow and the contact (a
// contact-free run has only its enrollment).
func (rt *runtime) StickyKey() string {
	ref := rt.r.ref()
	who := ref.ContactID
	if who == "" {
		who = ref.EnrollmentID
	}
	return ref.WorkflowID + "/" + who
}

// RecheckAtDeadline is steps.Rechecker: runs that started before
// flow-control version 5 time out without looking again.
func (rt *runtime) RecheckAtDeadline() bool {
	return rt.r.flowVersion >= flowRecheckAtDeadline
}

// UntilJustNowIsNow is steps.JustNower: runs that started before
// flow-control version 6 count any time before now as passed.
func (rt *runtime) UntilJustNowIsNow() bool {
	return rt.r.flowVersion >= flowUntilJustNow
}
