package activities

import (
	"context"

	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/condition"
)

// Evaluate returns the index of the first condition that holds for the
// contact as it is now, or -1. Running in a (local) activity keeps the
// database read out of workflow code; the answer is recorded in history.
func (a *Activities) Evaluate(ctx context.Context, in workflows.EvaluateInput) (int, error) {
	scope, _, err := a.scope(ctx, in.StepInput)
	if err != nil {
		return 0, classify(err)
	}
	now := a.stepClock(ctx, in.StepInput)
	for i, c := range in.Conditions {
		if condition.Evaluate(c, condition.MapScope(scope), now) {
			return i, nil
		}
	}
	return -1, nil
}
