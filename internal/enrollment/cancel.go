package enrollment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// Get loads an enrollment of the account.
func (s *Service) Get(ctx context.Context, accountID, id string) (*models.Enrollment, error) {
	var e models.Enrollment
	err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).First(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading enrollment: %w", err)
	}
	return &e, nil
}

// Cancel removes the contact from the workflow: the run is cancelled (its
// timers stop, nothing more is sent) and the enrollment ends as exited.
func (s *Service) Cancel(ctx context.Context, accountID, id string) (*models.Enrollment, error) {
	e, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if terminal(e.Status) {
		return e, nil
	}
	if e.TemporalWorkflowID != "" {
		err := s.Temporal.CancelWorkflow(ctx, e.TemporalWorkflowID, "")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return nil, fmt.Errorf("cancelling run %s: %w", e.TemporalWorkflowID, err)
		}
	}
	now := time.Now().UTC()
	err = s.DB.WithContext(ctx).Model(&models.Enrollment{}).
		Where("id = ? AND status NOT IN ?", e.ID, []string{models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited}).
		Updates(map[string]any{"status": models.EnrollmentExited, "exit_reason": "removed from workflow", "finished_at": now}).Error
	if err != nil {
		return nil, fmt.Errorf("recording removal: %w", err)
	}
	return s.Get(ctx, accountID, id)
}
