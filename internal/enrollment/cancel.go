package enrollment

import (
	"context"
	"errors"
	"fmt"

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

// Cancel removes the contact from the workflow: the enrollment ends as
// exited (recorded first, so the run's own ending cannot overwrite the
// reason), then its run is cancelled: timers stop, nothing more is sent.
func (s *Service) Cancel(ctx context.Context, accountID, id string) (*models.Enrollment, error) {
	e, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if terminal(e.Status) {
		return e, nil
	}
	if err := s.exit(ctx, e, "removed from workflow"); err != nil {
		return nil, err
	}
	return s.Get(ctx, accountID, id)
}

// ExitContact ends every running enrollment of a contact, e.g. before the
// contact is deleted, so no run goes on for a contact that is gone. The
// enrollments named in except go on: a delete_contact step ends its own
// enrollment itself, as completed.
func (s *Service) ExitContact(ctx context.Context, accountID, contactID, reason string, except ...string) error {
	var running []models.Enrollment
	q := s.DB.WithContext(ctx).Where("account_id = ? AND contact_id = ? AND status IN ?", accountID, contactID,
		[]string{models.EnrollmentPending, models.EnrollmentActive, models.EnrollmentWaiting})
	if len(except) > 0 {
		q = q.Where("id NOT IN ?", except)
	}
	err := q.Find(&running).Error
	if err != nil {
		return fmt.Errorf("finding enrollments of contact %s: %w", contactID, err)
	}
	var errs []error
	for i := range running {
		errs = append(errs, s.exit(ctx, &running[i], reason))
	}
	return errors.Join(errs...)
}
