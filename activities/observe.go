package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/internal/metrics"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// Step outcomes of an attempt that failed: Temporal may retry it, so it is
// not the step's final failure (RecordStep reports that one as "failed").
const outcomeError = "error"

// ExecuteStep runs one action step (executeStep), then records the attempt:
// one log line and the step metrics, and the provider's error if one failed.
func (a *Activities) ExecuteStep(ctx context.Context, in workflows.StepInput) (workflows.StepResult, error) {
	start := time.Now()
	res, err := a.executeStep(ctx, in)
	outcome := models.StepCompleted
	switch {
	case err != nil:
		outcome = outcomeError
		if p := a.provider(err, in.Step.Type); p != "" {
			a.opts.Metrics.ProviderError(p)
		}
	case res.Skipped:
		outcome = models.StepSkipped
	}
	a.observeStep(ctx, in.Run, in.Step.ID, in.Step.Type, outcome, time.Since(start))
	return res, err
}

// RecordStep writes a flow step's (or an action's final failure's) row
// (recordStep), then records it like ExecuteStep does an attempt; its
// duration is the step's, from its start to its finish.
func (a *Activities) RecordStep(ctx context.Context, in workflows.RecordStepInput) error {
	if err := a.recordStep(ctx, in); err != nil {
		return err
	}
	if in.Status == models.StepRunning {
		return nil // not an outcome: the step is under way
	}
	var d time.Duration
	if in.FinishedAt != nil && !in.StartedAt.IsZero() {
		d = in.FinishedAt.Sub(in.StartedAt)
	}
	a.observeStep(ctx, in.Run, in.Step.ID, in.Step.Type, in.Status, d)
	return nil
}

// Finish closes the enrollment (finish) and counts how it ended.
func (a *Activities) Finish(ctx context.Context, in workflows.FinishInput) error {
	if err := a.finish(ctx, in); err != nil {
		return err
	}
	switch in.Status {
	case models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited:
		a.opts.Metrics.Enrollment(in.Run.WorkflowID, in.Status)
	}
	return nil
}

// observeStep logs one line per step execution, with ids, type, outcome
// and duration only: never message bodies, outputs or settings, which
// hold contacts' data and secrets. Nor errors: a provider's message can
// quote what was sent; the execution log keeps it for the account.
func (a *Activities) observeStep(ctx context.Context, run workflows.RunRef, stepID, stepType, outcome string, d time.Duration) {
	a.opts.Metrics.Step(stepType, outcome, d)
	attrs := []slog.Attr{
		slog.String("account_id", run.AccountID), slog.String("workflow_id", run.WorkflowID),
		slog.String("enrollment_id", run.EnrollmentID), slog.String("step_id", stepID), slog.String("step_type", stepType),
		slog.String("outcome", outcome), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		attrs = append(attrs, slog.String("run_id", info.WorkflowExecution.RunID), slog.Int("attempt", int(info.Attempt)))
	}
	a.opts.Log.LogAttrs(ctx, slog.LevelInfo, "step", attrs...)
}

// provider names the provider whose error err is, or "" when it is not
// one (a missing contact, a database error, a bad template).
func (a *Activities) provider(err error, stepType string) string {
	var smsErr *sms.Error
	var mailErr *email.Error
	var hookErr *HTTPError
	var payErr *payments.Error
	switch {
	case errors.As(err, &smsErr):
		return metrics.ProviderTwilio
	case errors.As(err, &mailErr):
		return metrics.ProviderSMTP
	case errors.As(err, &payErr):
		return metrics.ProviderStripe
	case errors.As(err, &hookErr):
		return metrics.ProviderWebhook
	case stepType == "ai_prompt" && (a.opts.AI.BaseURL != "" || a.opts.AI.APIKey != ""):
		// The chat endpoint's errors carry no type; a configured endpoint
		// failing an ai_prompt step is the provider's (an unconfigured one
		// is the install's).
		return metrics.ProviderAI
	}
	return ""
}
