package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// stepBudget caps the steps one run executes before it continues as new, so
// that goto loops never grow a history toward Temporal's limits.
const stepBudget = 250

// shouldContinueAsNew is checked between steps, a safe point: nothing is in flight.
func shouldContinueAsNew(ctx workflow.Context, executedThisRun int) bool {
	return executedThisRun >= stepBudget || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew carries the cursor into a fresh run of the same enrollment.
func (r *run) continueAsNew(ctx workflow.Context) error {
	r.drain(ctx)
	in := r.in
	in.Cursor = r.cursor
	return workflow.NewContinueAsNewError(ctx, InterpretWorkflow, in)
}
