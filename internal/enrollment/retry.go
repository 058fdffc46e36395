package enrollment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// ErrNotFailed is a retry of an enrollment that has not failed.
var ErrNotFailed = errors.New("only a failed enrollment can be retried")

// Retry resumes a failed enrollment at the step that failed, on the version
// it ran: a new Temporal run (".../retry-N") carrying a cursor rebuilt from
// the execution log (visits, so sends stay idempotent per visit; outputs,
// so later templates still read earlier steps).
func (s *Service) Retry(ctx context.Context, accountID, id string) (*models.Enrollment, error) {
	e, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if e.Status != models.EnrollmentFailed {
		return nil, fmt.Errorf("%w (enrollment %s is %s)", ErrNotFailed, e.ID, e.Status)
	}
	res := s.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("id = ? AND status = ?", e.ID, models.EnrollmentFailed).
		Updates(map[string]any{"status": models.EnrollmentPending, "exit_reason": "", "finished_at": nil,
			"retries": e.Retries + 1, "temporal_run_id": "", "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return nil, fmt.Errorf("recording retry of enrollment %s: %w", e.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("%w (enrollment %s was retried concurrently)", ErrNotFailed, e.ID)
	}
	e.Retries++
	e.Status, e.TemporalRunID = models.EnrollmentPending, ""
	// Start like the sweeper would: if this start fails, the sweeper starts
	// the same run (the id is deterministic) later.
	if err := s.restart(ctx, e); err != nil {
		return e, err
	}
	return s.Get(ctx, accountID, id)
}

// RetryFailed retries every failed enrollment of a workflow and says how
// many were retried; the ones that could not be are reported in err.
func (s *Service) RetryFailed(ctx context.Context, accountID, workflowID string) (int, error) {
	if _, _, _, err := s.loadWorkflow(ctx, Request{AccountID: accountID, WorkflowID: workflowID, Test: true}); err != nil {
		return 0, err
	}
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("account_id = ? AND workflow_id = ? AND status = ?",
		accountID, workflowID, models.EnrollmentFailed).Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("finding failed enrollments: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if _, err := s.Retry(ctx, accountID, id); err != nil && !errors.Is(err, ErrNotFailed) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// resumeCursor rebuilds where a failed enrollment stood from its execution
// log: the failed step next, each step's visit count, the latest outputs.
func (s *Service) resumeCursor(ctx context.Context, e *models.Enrollment) (*workflows.Cursor, error) {
	var rows []models.StepExecution
	if err := s.DB.WithContext(ctx).Where("enrollment_id = ?", e.ID).Order("started_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading the execution log of enrollment %s: %w", e.ID, err)
	}
	c := &workflows.Cursor{StepID: e.CurrentStep, Visits: map[string]int{}, Outputs: map[string]map[string]any{}}
	for _, r := range rows {
		if r.Visit > c.Visits[r.StepID] {
			c.Visits[r.StepID] = r.Visit
		}
		if r.Status == models.StepCompleted && r.Output != nil {
			c.Outputs[r.StepID] = r.Output
		}
		c.Executed++
	}
	if c.StepID == "" { // it failed before its first step (loading): start over
		return nil, nil
	}
	return c, nil
}
