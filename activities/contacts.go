package activities

import (
	"context"
	"errors"
	"strings"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// AddTags adds tags through the contacts service, so the tags fire
// contact_tag_added triggers like any other. Adding a tag the contact has is
// a no-op, which makes retries safe.
func (a *Activities) AddTags(ctx context.Context, call *steps.Call, tags []string) ([]string, error) {
	added, err := a.opts.Contacts.AddTags(ctx, call.AccountID, call.ContactID, tags)
	return added, contactError(err)
}

// RemoveTags removes tags; removing a missing tag is a no-op.
func (a *Activities) RemoveTags(ctx context.Context, call *steps.Call, tags []string) ([]string, error) {
	removed, err := a.opts.Contacts.RemoveTags(ctx, call.AccountID, call.ContactID, tags)
	return removed, contactError(err)
}

// UpdateContact sets standard fields and custom.<key> fields; setting the
// same values again changes nothing, which makes retries safe.
func (a *Activities) UpdateContact(ctx context.Context, call *steps.Call, fields map[string]string) ([]string, error) {
	in := fieldsInput(fields)
	before, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return nil, contactError(err)
	}
	after, err := a.opts.Contacts.Update(ctx, call.AccountID, call.ContactID, in)
	if err != nil {
		return nil, contactError(err)
	}
	var changed []string
	b, c := before.Fields(), after.Fields()
	for k := range fields {
		key, bv, av := k, b[k], c[k]
		if strings.HasPrefix(k, "custom.") {
			bv = b["custom"].(map[string]any)[strings.TrimPrefix(k, "custom.")]
			av = c["custom"].(map[string]any)[strings.TrimPrefix(k, "custom.")]
		}
		if bv != av {
			changed = append(changed, key)
		}
	}
	return changed, nil
}

// contactError makes faults in the rendered values (an email that is not
// one) permanent: retrying would render the same value.
func contactError(err error) error {
	var verrs validation.Errors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &verrs), errors.Is(err, contacts.ErrNotFound):
		return &PermanentError{Err: err}
	}
	return err
}
