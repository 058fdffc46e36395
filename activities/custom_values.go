package activities

import (
	"bytes"
	"context"

	"github.com/crmflow/crmflow/internal/customvalues"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/steps"
)

// customValues is the account-wide values service over the activities' database.
func (a *Activities) customValues() *customvalues.Service {
	return &customvalues.Service{DB: a.opts.DB}
}

// SetCustomValue writes an account-wide value for update_custom_value.
// It is an upsert of a fixed value, so a retry writes the same row again.
func (a *Activities) SetCustomValue(ctx context.Context, call *steps.Call, key, value string) error {
	_, err := a.customValues().Set(ctx, call.AccountID, key, value)
	return contactError(err) // a value over the size cap will not fit on a retry either
}

// scopeCustomValues is the account's custom values for templates
// ({{custom_values.<key>}}). Only steps whose config mentions custom_values
// pay for loading them.
func (a *Activities) scopeCustomValues(ctx context.Context, in workflows.StepInput) (map[string]any, error) {
	if !bytes.Contains(in.Step.Config, []byte("custom_values")) {
		return map[string]any{}, nil
	}
	return a.customValues().Map(ctx, in.Run.AccountID)
}
