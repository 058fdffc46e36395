package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/condition"
)

// scope is what templates and conditions of a step read: the contact as it
// is now, the triggering event, earlier steps' outputs and the account.
func (a *Activities) scope(ctx context.Context, in workflows.StepInput) (map[string]any, *models.Contact, error) {
	var c models.Contact
	err := a.opts.DB.WithContext(ctx).Preload("Tags").Where("account_id = ? AND id = ?", in.Run.AccountID, in.Run.ContactID).First(&c).Error
	if err != nil {
		return nil, nil, fmt.Errorf("loading contact %s: %w", in.Run.ContactID, err)
	}
	var acct models.Account
	if err := a.opts.DB.WithContext(ctx).Where("id = ?", in.Run.AccountID).First(&acct).Error; err != nil {
		return nil, nil, fmt.Errorf("loading account: %w", err)
	}
	event := map[string]any{}
	if in.Event != nil {
		for k, v := range in.Event.Data {
			event[k] = v
		}
	}
	stepOutputs := map[string]any{}
	for id, out := range in.Outputs {
		stepOutputs[id] = out
	}
	return map[string]any{
		"contact":       c.Fields(),
		"event":         event,
		"steps":         stepOutputs,
		"account":       map[string]any{"id": acct.ID, "name": acct.Name, "timezone": acct.Timezone},
		"custom_values": map[string]any{},
		"now":           condition.NowFields(time.Now().UTC()),
		"workflow":      map[string]any{"id": in.Run.WorkflowID, "version": in.Run.Version},
	}, &c, nil
}
