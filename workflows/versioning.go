package workflows

// Changes to the interpreter that alter the order of commands in a history
// must be guarded with workflow.GetVersion, so that enrollments already in
// flight replay the path they took. Name each change here, with the date and
// what it changed, and keep the replay tests in testdata/ green.

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// changeFailedRunsFail (2026-12-03): a failed enrollment used to complete
// its Temporal run (the failure lived only in crmflow's database); it now
// fails the run, so the Web UI lists it under failures. Runs that started
// before the change replay their recorded completion.
const changeFailedRunsFail = "failed-enrollments-fail-the-run"

// failRun ends the run of a failed enrollment as failed: a non-retryable
// application error (retries of enrollments go through the API, resuming
// at the failed step, never through Temporal re-running the whole run).
func failRun(ctx workflow.Context, reason string) error {
	if workflow.GetVersion(ctx, changeFailedRunsFail, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(reason, "EnrollmentFailed", nil)
}

// changeFlowControl (2026-12-04):
//   - version 1: communication steps wait for settings.time_window (a
//     Resolve local activity first), and a run continues as new once its
//     history passes historyBudget, between steps or in a wait;
//   - version 2: a wait counts the events that came during the step before
//     it (Cursor.PrevSeq), not only those after it began; a run that runs
//     maxStepsWithoutWaiting steps without waiting fails;
//   - version 3 (2026-12-04): a wait does not count the events that a wait
//     before it looked at, being of a type it waited for (Cursor.Looked):
//     the reply that ended that wait, or one it turned down, no longer ends
//     the next one too; a wait run again as the same visit (it held for
//     its resume window when the run continued as new or moved version)
//     ends with the event that ended it (WaitState.Event), not by timeout;
//   - version 4: an event meets every goal it matches, not only the one the
//     run jumps to, so a goal reached later in sequence counts as met;
//   - version 5 (2026-12-05): a wait checks again what it waits for when its
//     deadline comes (a Resolve or an Evaluate local activity): an
//     appointment wait reads its appointment again (gone or cancelled takes
//     on_cancel, moved later waits on) and also wakes on
//     appointment_deleted; a condition wait takes its condition once more
//     before it times out;
//   - version 6 (2026-12-04): a wait until a time that came less than a
//     minute ago waits no more and goes on as not passed (if_passed is for
//     times that passed before the contact got there): a workflow task's
//     clock trails the timer that woke it, so "until 09:00" right after a
//     send held to 09:00 counted as passed and took if_passed.
//
// Runs that started before replay as they ran.
const changeFlowControl = "flow-control"

const (
	flowTimeWindows        = 1
	flowEventsOfStepBefore = 2
	flowEventsLookedAt     = 3
	flowWaitKeepsItsEvent  = 3
	flowEveryGoalMet       = 4
	flowRecheckAtDeadline  = 5
	flowUntilJustNow       = 6
)

// FlowControlLatest is the changeFlowControl version new runs start at;
// recorded histories are named after it (internal/app/histories_test.go).
const FlowControlLatest = flowUntilJustNow

// flowControlVersion is read once per run, at its start (a var, so the
// replay tests can prove the guard is needed).
var flowControlVersion = func(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeFlowControl, workflow.DefaultVersion, FlowControlLatest)
}
