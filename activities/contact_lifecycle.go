package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/steps"
)

// ContactExiter ends a contact's running enrollments (enrollment.Service).
type ContactExiter interface {
	ExitContact(ctx context.Context, accountID, contactID, reason string, except ...string) error
}

// fieldsInput turns a step's contact fields ("first_name", "custom.plan")
// into the contacts service's input.
func fieldsInput(fields map[string]string) contacts.Input {
	var in contacts.Input
	custom := map[string]any{}
	for k, v := range fields {
		v := v
		switch k {
		case "first_name":
			in.FirstName = &v
		case "last_name":
			in.LastName = &v
		case "email":
			in.Email = &v
		case "phone":
			in.Phone = &v
		case "timezone":
			in.Timezone = &v
		case "date_of_birth":
			in.DateOfBirth = &v
		default:
			custom[strings.TrimPrefix(k, "custom.")] = v
		}
	}
	if len(custom) > 0 {
		in.Custom = custom
	}
	return in
}

// contactFieldPaths names the contacts service's input paths as a contact
// step's config paths.
var contactFieldPaths = map[string]string{
	"first_name": "config.fields.first_name", "last_name": "config.fields.last_name", "email": "config.fields.email",
	"phone": "config.fields.phone", "timezone": "config.fields.timezone", "date_of_birth": "config.fields.date_of_birth",
	"custom": "config.fields.custom",
}

// CreateContact creates a contact, or updates the account's contact with
// the same email (else phone) so a workflow never duplicates a person. The
// new contact's id comes from the idempotency key: a retry finds the contact
// its first attempt made and updates it instead of making another. Both go
// through the contacts service: contact_created or contact_changed fire.
func (a *Activities) CreateContact(ctx context.Context, call *steps.Call, fields map[string]string) (string, bool, error) {
	in := fieldsInput(fields)
	id := recordID(call, "contact")
	if _, err := a.opts.Contacts.Get(ctx, call.AccountID, id); err == nil {
		_, err := a.opts.Contacts.Update(ctx, call.AccountID, id, in)
		return id, true, recordError(err, contactFieldPaths)
	} else if !errors.Is(err, contacts.ErrNotFound) {
		return "", false, err
	}
	existing, err := a.sameContact(ctx, call.AccountID, fields)
	if err != nil {
		return "", false, err
	}
	if existing != "" {
		_, err := a.opts.Contacts.Update(ctx, call.AccountID, existing, in)
		return existing, false, recordError(err, contactFieldPaths)
	}
	if _, err := a.opts.Contacts.CreateWithID(ctx, call.AccountID, id, in); err != nil {
		if duplicate(err) { // a concurrent attempt of this very call made it
			return id, true, nil
		}
		return "", false, recordError(err, contactFieldPaths)
	}
	return id, true, nil
}

// sameContact finds the account's contact with the email, else the phone,
// of fields (compared as the contacts service stores them), or "".
func (a *Activities) sameContact(ctx context.Context, accountID string, fields map[string]string) (string, error) {
	region := a.opts.Contacts.DefaultRegion
	if region == "" {
		region = "US"
	}
	var keys []struct{ column, value string }
	if e := strings.ToLower(strings.TrimSpace(fields["email"])); e != "" {
		keys = append(keys, struct{ column, value string }{"email", e})
	}
	if p, err := contacts.NormalizePhone(fields["phone"], region); err == nil && p != "" {
		keys = append(keys, struct{ column, value string }{"phone", p})
	}
	for _, k := range keys {
		var c models.Contact
		err := a.opts.DB.WithContext(ctx).Select("id").Where("account_id = ? AND "+k.column+" = ?", accountID, k.value).
			Order("created_at, id").Limit(1).Find(&c).Error
		if err != nil {
			return "", fmt.Errorf("looking for a contact by %s: %w", k.column, err)
		}
		if c.ID != "" {
			return c.ID, nil
		}
	}
	return "", nil
}

// DeleteContact deletes the enrolled contact the way the API does: its
// other running enrollments end first (as exited, with the reason), then the
// contact goes. The ledger notes the delete before it happens, so a retry
// that finds the contact gone knows this step did it (deletedByThisStep).
func (a *Activities) DeleteContact(ctx context.Context, call *steps.Call) error {
	if a.opts.Enrollments == nil {
		return permanent("delete_contact is not available: the worker has no enrollment service")
	}
	if _, err := a.remember(ctx, call, "contact_deleted", call.ContactID); err != nil {
		return err
	}
	reason := fmt.Sprintf("the contact was deleted by step %s of workflow %s", call.Step.ID, call.WorkflowID)
	if err := a.opts.Enrollments.ExitContact(ctx, call.AccountID, call.ContactID, reason, call.EnrollmentID); err != nil {
		return fmt.Errorf("ending the contact's other enrollments: %w", err)
	}
	if err := a.opts.Contacts.Delete(ctx, call.AccountID, call.ContactID); err != nil && !errors.Is(err, contacts.ErrNotFound) {
		return err
	}
	return nil
}

// deletedByThisStep reports a delete_contact retried after its delete went
// through: the contact is gone, and the ledger says this very call deleted
// it. The step then completes with its output instead of failing on the
// missing contact.
func (a *Activities) deletedByThisStep(ctx context.Context, in workflows.StepInput) (map[string]any, bool) {
	if in.Step.Type != "delete_contact" || in.Run.ContactID == "" {
		return nil, false
	}
	call := &steps.Call{AccountID: in.Run.AccountID, IdempotencyKey: IdempotencyKey(in)}
	id, err := a.effectOf(ctx, call, "contact_deleted")
	if err != nil || id != in.Run.ContactID {
		return nil, false
	}
	var n int64
	if err := a.opts.DB.WithContext(ctx).Model(&models.Contact{}).Where("id = ?", id).Count(&n).Error; err != nil || n != 0 {
		return nil, false
	}
	return steps.DeletedContactOutput(id), true
}
