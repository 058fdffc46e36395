package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
)

// runtime is what flow steps may use of the interpreter (steps.Runtime).
type runtime struct{ r *run }

// FirstMatch evaluates the conditions in a local activity, where the
// contact's current data can be read; the answer is recorded in history, so
// replays take the same branch.
func (rt *runtime) FirstMatch(ctx workflow.Context, s *definition.Step, conds []*condition.Node) (int, error) {
	r := rt.r
	in := EvaluateInput{
		StepInput: StepInput{Run: r.ref(), Step: *s, Visit: r.cursor.Visits[s.ID], Settings: r.def.Settings,
			Event: r.in.Event, Outputs: r.cursor.Outputs, StartedAt: workflow.Now(ctx)},
		Conditions: conds,
	}
	var idx int
	err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityEvaluate, in).Get(ctx, &idx)
	return idx, err
}
