package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of the workflow a trigger's Temporal Schedule starts and of its activity.
const (
	ScheduleFiredWorkflow   = "crmflow.ScheduleFired"
	ActivityEnrollScheduled = "crmflow.EnrollScheduled"
)

// ScheduleInput is what a trigger's schedule passes to each run it starts.
type ScheduleInput struct {
	AccountID  string
	WorkflowID string
	TriggerID  string
}

// EnrollScheduledInput asks to enroll what a scheduled trigger selects at At.
type EnrollScheduledInput struct {
	ScheduleInput
	// At is the schedule's nominal time for this run (not when it actually
	// ran), so a late or retried run selects the same dates as an on-time one.
	At time.Time
}

// EnrollScheduledResult is what a run did, shown in the Temporal UI.
type EnrollScheduledResult struct {
	Enrolled int    // enrollments started by this run
	Skipped  string `json:",omitempty"` // why nothing ran (drafted, not a run day...)
}

// scheduledStartTime is the search attribute Temporal Schedules put on the
// runs they start: the nominal time, to the second.
var scheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// ScheduleFired is started by a scheduled trigger's Temporal Schedule: it
// enrolls, in one activity, the contacts whose date is due (reminders) or
// a contact-free run (scheduler). The activity is idempotent per (trigger,
// occurrence), so Temporal may retry it, and the schedule may fire twice.
func ScheduleFired(ctx workflow.Context, in ScheduleInput) (EnrollScheduledResult, error) {
	at, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartTime)
	if !ok {
		at = workflow.Now(ctx) // started by hand, not by a schedule
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
			MaximumAttempts:    20,
		},
	})
	var res EnrollScheduledResult
	err := workflow.ExecuteActivity(ctx, ActivityEnrollScheduled, EnrollScheduledInput{ScheduleInput: in, At: at.UTC()}).Get(ctx, &res)
	return res, err
}
