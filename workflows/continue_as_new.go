package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// stepBudget caps the steps one run executes before it continues as new, so
// that goto loops never grow a history toward Temporal's limits.
const stepBudget = 250

// historyBudget is the history length at which a run continues as new at
// its next safe point, whatever its steps: far below Temporal's 51,200
// events, so that replaying a run stays quick.
const historyBudget = 1500

// shouldContinueAsNew is checked between steps, a safe point: nothing is in flight.
func (r *run) shouldContinueAsNew(ctx workflow.Context, executedThisRun int) bool {
	info := workflow.GetInfo(ctx)
	return executedThisRun >= stepBudget || info.GetContinueAsNewSuggested() || r.overHistoryBudget(ctx)
}

// overHistoryBudget: the run's history passed historyBudget.
func (r *run) overHistoryBudget(ctx workflow.Context) bool {
	return r.flowVersion >= flowTimeWindows && workflow.GetInfo(ctx).GetCurrentHistoryLength() > historyBudget
}

// continueAsNew carries the cursor into a fresh run of the same enrollment,
// once a migration the run accepted has finished its handler.
func (r *run) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	if r.migration != nil { // accepted while the handlers finished
		r.applyMigration(ctx)
	}
	r.drain(ctx)
	in := r.in
	in.Cursor = r.cursor
	return workflow.NewContinueAsNewError(ctx, InterpretWorkflow, in)
}

// maxStepsWithoutWaiting is more steps than any definition has
// (check.MaxSteps), so only a loop runs that many without waiting.
const maxStepsWithoutWaiting = 1000

// spinning: the run looped through maxStepsWithoutWaiting steps without a
// real wait. It would write to the database as fast as it could, forever.
func (r *run) spinning() bool {
	return r.flowVersion >= flowEventsOfStepBefore && r.cursor.Unwaited > maxStepsWithoutWaiting
}
