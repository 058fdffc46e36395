package enrollment

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmflow/crmflow/models"
)

// ExitWorkflow ends the contact's running enrollments in one workflow of the
// account (a remove_from_workflow step) as exited with reason, and says how
// many it found running. Ending an enrollment twice changes nothing, so a
// retry is safe. A workflow of another account, or none, has no enrollments
// of the account: nothing is touched and 0 comes back.
func (s *Service) ExitWorkflow(ctx context.Context, accountID, workflowID, contactID, reason string) (int, error) {
	var running []models.Enrollment
	err := s.DB.WithContext(ctx).Where("account_id = ? AND workflow_id = ? AND contact_id = ? AND status IN ?",
		accountID, workflowID, contactID, []string{models.EnrollmentPending, models.EnrollmentActive, models.EnrollmentWaiting}).
		Order("id").Find(&running).Error
	if err != nil {
		return 0, fmt.Errorf("finding enrollments of contact %s in workflow %s: %w", contactID, workflowID, err)
	}
	var errs []error
	for i := range running {
		errs = append(errs, s.exit(ctx, &running[i], reason))
	}
	return len(running), errors.Join(errs...)
}
