package steps

import (
	"context"
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(createContact{}) }

// createContact creates a contact from its fields (the same config as
// update_contact), or, when a contact of the account already has the email
// (else the phone) given, updates that one instead: a workflow never makes a
// duplicate of a person. Its output contact_id names the contact either way.
type createContact struct{ noTargets }

func (createContact) Type() string { return "create_contact" }
func (createContact) Remote() bool { return false }

// ContactFree: creating someone needs no enrolled contact (a scheduler run
// may create contacts from its templates).
func (createContact) ContactFree() bool { return true }

func (createContact) Validate(p *validation.Problems, s *definition.Step) {
	updateContact{}.Validate(p, s)
}

func (createContact) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c updateContactConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	fields := make(map[string]string, len(c.Fields))
	for _, k := range sortedKeys(c.Fields) {
		v, err := call.Render(c.Fields[k])
		if err != nil {
			return Result{}, fmt.Errorf("config.fields.%s: %w", k, err)
		}
		fields[k] = v
	}
	id, created, err := env.CreateContact(ctx, call, fields)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"contact_id": id, "created": created}}, nil
}
