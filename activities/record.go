package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// recordStep writes an execution-log row for a flow step (or the final
// failure of an action) and keeps the enrollment's status and step current;
// RecordStep (observe.go) wraps it with the step's log line and metrics.
func (a *Activities) recordStep(ctx context.Context, in workflows.RecordStepInput) error {
	row := models.StepExecution{
		ID: models.NewID(), AccountID: in.Run.AccountID, WorkflowID: in.Run.WorkflowID, EnrollmentID: in.Run.EnrollmentID,
		ContactID: in.Run.ContactID, StepID: in.Step.ID, Visit: in.Visit, StepType: in.Step.Type, StepName: in.Step.Name,
		Status: in.Status, Attempts: in.Attempts, StartedAt: in.StartedAt.UTC(), FinishedAt: in.FinishedAt,
		Output: in.Output, Error: in.Error,
	}
	if in.Until != nil {
		if row.Output == nil {
			row.Output = map[string]any{}
		}
		row.Output["until"] = in.Until.UTC().Format(time.RFC3339)
	}
	status := models.EnrollmentActive
	if in.Status == models.StepWaiting {
		status = models.EnrollmentWaiting
	}
	return a.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := upsertStep(tx, &row, in.Status != models.StepFailed); err != nil {
			return err
		}
		return setCurrent(tx, in.Run.EnrollmentID, in.Step.ID, status)
	})
}

// logStep is RecordStep for action steps, from inside their activity; it
// returns the finish time it wrote (zero while the step runs).
func (a *Activities) logStep(ctx context.Context, in workflows.StepInput, status string, attempt int, out map[string]any, errMsg string) (time.Time, error) {
	row := models.StepExecution{
		ID: models.NewID(), AccountID: in.Run.AccountID, WorkflowID: in.Run.WorkflowID, EnrollmentID: in.Run.EnrollmentID,
		ContactID: in.Run.ContactID, StepID: in.Step.ID, Visit: in.Visit, StepType: in.Step.Type, StepName: in.Step.Name,
		Status: status, Attempts: attempt, StartedAt: in.StartedAt.UTC(), Output: out, Error: errMsg,
	}
	var finished time.Time
	if status != models.StepRunning {
		finished = a.stepClock(ctx, in)
		row.FinishedAt = &finished
	}
	return finished, a.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := upsertStep(tx, &row, true); err != nil {
			return err
		}
		return setCurrent(tx, in.Run.EnrollmentID, in.Step.ID, models.EnrollmentActive)
	})
}

// stepClock is the time now on the clock of the step's start (the
// workflow's, StepInput.StartedAt), what now.* reads and a step ends at. A
// local activity runs inside a workflow task, whose clock trails the wall
// clock (it counts from when the server handed out the task): now is its
// start plus the time since the interpreter scheduled it, so the next step,
// on the same clock, does not start before it. A regular activity ends
// before the workflow task after it starts, so the wall clock will do (the
// interpreter also starts the next step no earlier than this,
// StepResult.FinishedAt); never before the step's start, which in a
// time-skipping test runs ahead of the wall clock. Options.Clock, when set,
// replaces the wall clock (a simulation's clock is the test environment's).
func (a *Activities) stepClock(ctx context.Context, in workflows.StepInput) time.Time {
	if a.opts.Clock != nil {
		return later(a.opts.Clock(), in.StartedAt).UTC()
	}
	now := time.Now()
	if activity.IsActivity(ctx) && !in.StartedAt.IsZero() {
		if info := activity.GetInfo(ctx); info.IsLocalActivity && !info.ScheduledTime.IsZero() {
			now = in.StartedAt.Add(max(now.Sub(info.ScheduledTime), 0))
		}
	}
	return later(now, in.StartedAt).UTC()
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// upsertStep writes the row for (enrollment, step, visit), keeping its
// first start time; a retried write changes nothing more than the last did.
// A write of the outcome the row has already (a workflow task run again,
// its local activities with it, because an event came meanwhile) keeps the
// first finish time too, so it stays before the next step's start.
func upsertStep(tx *gorm.DB, row *models.StepExecution, replaceOutput bool) error {
	cols := []string{"status", "error", "step_name"}
	if row.Attempts > 0 {
		cols = append(cols, "attempts")
	}
	if replaceOutput {
		cols = append(cols, "output")
	}
	set := append(clause.AssignmentColumns(cols), clause.Assignment{Column: clause.Column{Name: "finished_at"},
		Value: gorm.Expr("CASE WHEN step_executions.status = excluded.status AND step_executions.finished_at IS NOT NULL " +
			"THEN step_executions.finished_at ELSE excluded.finished_at END")})
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "enrollment_id"}, {Name: "step_id"}, {Name: "visit"}},
		DoUpdates: set,
	}).Create(row).Error
	if err != nil {
		return fmt.Errorf("writing execution log of step %s: %w", row.StepID, err)
	}
	return nil
}

// setCurrent moves the enrollment to a step, unless it already ended (a
// removal from the workflow wins over a late log write).
func setCurrent(tx *gorm.DB, enrollmentID, stepID, status string) error {
	err := tx.Model(&models.Enrollment{}).
		Where("id = ? AND status NOT IN ?", enrollmentID, []string{models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited}).
		Updates(map[string]any{"current_step": stepID, "status": status, "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("updating enrollment %s: %w", enrollmentID, err)
	}
	return nil
}

// finish closes the enrollment with its final status and reason; Finish
// (observe.go) wraps it to count the outcome.
func (a *Activities) finish(ctx context.Context, in workflows.FinishInput) error {
	updates := map[string]any{"status": in.Status, "exit_reason": in.Reason, "finished_at": in.FinishedAt.UTC(), "updated_at": time.Now().UTC()}
	if in.StepID != "" {
		updates["current_step"] = in.StepID
	}
	// An enrollment the API already ended (removed, or stopped on a reply)
	// keeps the status and reason it was given.
	q := a.opts.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("id = ? AND status NOT IN ?", in.Run.EnrollmentID,
		[]string{models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited})
	if err := q.Updates(updates).Error; err != nil {
		return fmt.Errorf("closing enrollment %s: %w", in.Run.EnrollmentID, err)
	}
	if in.Status == models.EnrollmentCompleted {
		return nil // a run that walked to its end left no step open
	}
	reason := in.Reason
	if reason == "" {
		reason = "the enrollment ended"
	}
	return models.CloseOpenSteps(a.opts.DB.WithContext(ctx), in.Run.EnrollmentID, reason, in.FinishedAt.UTC())
}
