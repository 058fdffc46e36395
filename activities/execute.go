package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/steps"
)

// executeStep runs one action step and writes its execution-log row: running
// (with the attempt number and the last error while Temporal retries), then
// completed or skipped with its output. The interpreter records the final
// failure itself, since only it knows the last attempt failed. ExecuteStep
// (observe.go) wraps it with the step's log line and metrics.
func (a *Activities) executeStep(ctx context.Context, in workflows.StepInput) (workflows.StepResult, error) {
	kind, ok := steps.Lookup(in.Step.Type)
	action, isAction := kind.(steps.Action)
	if !ok || !isAction {
		return workflows.StepResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("step %s: %q is not an action step type", in.Step.ID, in.Step.Type), "BadStep", nil)
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	if steps.RunsOnce(kind) {
		if res, done, err := a.completedBefore(ctx, in); err != nil || done {
			return res, err
		}
	}
	if in.Run.ContactID == "" && !steps.RunsWithoutContact(kind) {
		return a.skipWithoutContact(ctx, in, attempt)
	}
	if _, err := a.logStep(ctx, in, models.StepRunning, attempt, nil, ""); err != nil {
		return workflows.StepResult{}, err
	}
	scope, _, err := a.scope(ctx, in)
	if err != nil {
		// A delete_contact retried after its delete went through: the
		// contact is missing because of this very step, which is done.
		if out, done := a.deletedByThisStep(ctx, in); done {
			finished, err := a.logStep(ctx, in, models.StepCompleted, attempt, out, "")
			if err != nil {
				return workflows.StepResult{}, err
			}
			return workflows.StepResult{Output: out, FinishedAt: finished}, nil
		}
		// classify: a deleted contact fails the step at once, not after every retry.
		return workflows.StepResult{}, classify(err)
	}
	call := &steps.Call{
		AccountID: in.Run.AccountID, WorkflowID: in.Run.WorkflowID, Version: in.Run.Version,
		EnrollmentID: in.Run.EnrollmentID, ContactID: in.Run.ContactID, Test: in.Run.Test,
		Step: in.Step, Visit: in.Visit, Settings: in.Settings,
		IdempotencyKey: IdempotencyKey(in), Scope: scope, Chain: in.Run.Chain,
		Now: a.stepClock(ctx, in),
	}
	res, err := action.Execute(ctx, a, call)
	if err != nil {
		err = classify(err)
		// Keep the attempt's error visible while Temporal retries.
		if _, lerr := a.logStep(ctx, in, models.StepRunning, attempt, nil, err.Error()); lerr != nil {
			a.opts.Log.WarnContext(ctx, "writing step attempt failed", "enrollment_id", in.Run.EnrollmentID, "error", lerr)
		}
		return workflows.StepResult{}, err
	}
	status := models.StepCompleted
	out := res.Output
	if in.HeldByWindow {
		if out == nil {
			out = map[string]any{}
		}
		out["held_by_window"] = true
		out["resumed_at"] = in.StartedAt.UTC().Format(time.RFC3339)
		res.Output = out
	}
	if res.Skipped {
		status = models.StepSkipped
		if out == nil {
			out = map[string]any{}
		}
		out["reason"] = res.Reason
	}
	finished, err := a.logStep(ctx, in, status, attempt, out, "")
	if err != nil {
		return workflows.StepResult{}, err
	}
	return workflows.StepResult{Output: res.Output, Skipped: res.Skipped, Reason: res.Reason, Exit: res.Exit, FinishedAt: finished}, nil
}

// completedBefore returns the result a local action already logged for this
// visit (see steps.RunsOnce): a workflow task run again must not increment a
// counter twice or report "nothing changed" for the change it made.
func (a *Activities) completedBefore(ctx context.Context, in workflows.StepInput) (workflows.StepResult, bool, error) {
	var row models.StepExecution
	err := a.opts.DB.WithContext(ctx).Where("enrollment_id = ? AND step_id = ? AND visit = ? AND status IN ?",
		in.Run.EnrollmentID, in.Step.ID, in.Visit, []string{models.StepCompleted, models.StepSkipped}).Limit(1).Find(&row).Error
	if err != nil {
		return workflows.StepResult{}, false, fmt.Errorf("reading the log of step %s: %w", in.Step.ID, err)
	}
	if row.ID == "" {
		return workflows.StepResult{}, false, nil
	}
	res := workflows.StepResult{Output: row.Output, Skipped: row.Status == models.StepSkipped}
	if row.FinishedAt != nil {
		res.FinishedAt = row.FinishedAt.UTC()
	}
	if res.Skipped {
		res.Reason, _ = row.Output["reason"].(string)
	}
	return res, true, nil
}

// IdempotencyKey is (enrollment, step, visit): the same on every retry of
// the step, different for each pass of a loop.
func IdempotencyKey(in workflows.StepInput) string {
	return fmt.Sprintf("%s/%s/%d", in.Run.EnrollmentID, in.Step.ID, in.Visit)
}

// classify turns provider errors that retrying cannot fix into
// non-retryable ones, keeping the provider's own message.
func classify(err error) error {
	var smsErr *sms.Error
	var mailErr *email.Error
	var hookErr *HTTPError
	var permanent *PermanentError
	var stepFailure *steps.Failure
	switch {
	case errors.As(err, &smsErr) && !smsErr.Retryable,
		errors.As(err, &mailErr) && !mailErr.Retryable,
		errors.As(err, &hookErr) && !hookErr.Retryable,
		errors.As(err, &permanent), errors.As(err, &stepFailure):
		return temporal.NewNonRetryableApplicationError(err.Error(), "StepFailed", err)
	case errors.As(err, &hookErr) && hookErr.RetryAfter > 0:
		return temporal.NewApplicationErrorWithOptions(err.Error(), "StepFailed", temporal.ApplicationErrorOptions{
			Cause: err, NextRetryDelay: hookErr.RetryAfter,
		})
	}
	return err
}

// PermanentError is a step failure that no retry can fix (bad config at run
// time, a rendered URL that is not a URL...).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(format string, args ...any) error {
	return &PermanentError{Err: fmt.Errorf(format, args...)}
}
