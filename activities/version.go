package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// LoadVersion moves a waiting enrollment to another published version of
// its workflow, if that version still has the step it waits at as a step
// of the same type, and returns the version's definition. A refusal is
// final (not retried): the migrate update reports it.
func (a *Activities) LoadVersion(ctx context.Context, in workflows.LoadVersionInput) (workflows.LoadRunResult, error) {
	def, err := a.version(ctx, in.Run.WorkflowID, in.Version)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return workflows.LoadRunResult{}, refuse("version %d of the workflow is not published", in.Version)
	}
	if err != nil {
		return workflows.LoadRunResult{}, err // the database: retried
	}
	step, ok := def.StepByID(in.StepID)
	switch {
	case !ok:
		return workflows.LoadRunResult{}, refuse("step %q, where the contact waits, does not exist in version %d", in.StepID, in.Version)
	case step.Type != in.StepType:
		return workflows.LoadRunResult{}, refuse("step %q is of type %s in version %d, not %s", in.StepID, step.Type, in.Version, in.StepType)
	}
	err = a.opts.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("id = ? AND version < ?", in.Run.EnrollmentID, in.Version).
		Update("version", in.Version).Error
	if err != nil {
		return workflows.LoadRunResult{}, fmt.Errorf("moving enrollment %s to version %d: %w", in.Run.EnrollmentID, in.Version, err)
	}
	return workflows.LoadRunResult{Definition: *def}, nil
}

func refuse(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), "MigrationRefused", nil)
}
