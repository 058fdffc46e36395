package steps

import (
	"context"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(deleteContact{}) }

type deleteContactConfig struct{}

// deleteContact deletes the enrolled contact, like DELETE /v1/contacts/{id}:
// the contact's other running enrollments end as exited first. Nothing can
// run for a contact that is gone, so the step ends its own enrollment, as
// completed: it has no next (saving one is refused), and an on_failure step
// runs only when the delete failed, i.e. the contact is still there.
type deleteContact struct{ noTargets }

func (deleteContact) Type() string { return "delete_contact" }
func (deleteContact) Remote() bool { return false }

func (deleteContact) Validate(p *validation.Problems, s *definition.Step) {
	var c deleteContactConfig
	decodeConfig(p, s.Config, &c)
	if s.Next != "" {
		p.Add("next", "delete_contact ends the enrollment (its contact is gone): it has no next")
	}
}

func (deleteContact) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	if err := env.DeleteContact(ctx, call); err != nil {
		return Result{}, err
	}
	return Result{Output: DeletedContactOutput(call.ContactID)}, nil
}

// DeletedContactOutput is delete_contact's output; the activities give it
// again to a retry that finds the contact already deleted by this step.
func DeletedContactOutput(contactID string) map[string]any {
	return map[string]any{"contact_id": contactID, "deleted": true}
}
