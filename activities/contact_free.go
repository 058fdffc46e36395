package activities

import (
	"context"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// NoContactReason is why an action is skipped in a run without a contact.
const NoContactReason = "this run has no contact (it was started by a scheduler trigger) and the step needs one"

// skipWithoutContact logs an action that needs a contact as skipped in a
// contact-free run, so the log says why nothing was sent or changed.
func (a *Activities) skipWithoutContact(ctx context.Context, in workflows.StepInput, attempt int) (workflows.StepResult, error) {
	finished, err := a.logStep(ctx, in, models.StepSkipped, attempt, map[string]any{"reason": NoContactReason}, "")
	if err != nil {
		return workflows.StepResult{}, err
	}
	return workflows.StepResult{Skipped: true, Reason: NoContactReason, FinishedAt: finished}, nil
}
