package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/condition"
)

// scope is what templates and conditions of a step read: the contact as it
// is now, the triggering event, earlier steps' outputs and the account.
func (a *Activities) scope(ctx context.Context, in workflows.StepInput) (map[string]any, *models.Contact, error) {
	var c models.Contact
	if in.Run.ContactID != "" { // a run of a scheduler trigger has none: its contact reads empty
		err := a.opts.DB.WithContext(ctx).Preload("Tags").Where("account_id = ? AND id = ?", in.Run.AccountID, in.Run.ContactID).First(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, permanent("the contact %s no longer exists (it was deleted)", in.Run.ContactID)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("loading contact %s: %w", in.Run.ContactID, err)
		}
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
	links, err := a.triggerLinks(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	values, err := a.scopeCustomValues(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	return map[string]any{
		"contact":       c.Fields(),
		"event":         event,
		"steps":         stepOutputs,
		"account":       map[string]any{"id": acct.ID, "name": acct.Name, "timezone": acct.Timezone},
		"custom_values": values,
		"now":           condition.NowFields(a.stepClock(ctx, in).In(calendar.Zone(in.Settings.Timezone, c.Timezone, acct.Timezone))),
		"workflow":      map[string]any{"id": in.Run.WorkflowID, "version": in.Run.Version},
		"trigger_link":  links,
	}, &c, nil
}

// triggerLinks is the contact's own URL of every trigger link of the
// account, for {{trigger_link.<id>}}. Only steps whose config mentions
// trigger_link pay for it; other accounts' links are never in it.
func (a *Activities) triggerLinks(ctx context.Context, in workflows.StepInput) (map[string]any, error) {
	if a.opts.TriggerLinks == nil || !bytes.Contains(in.Step.Config, []byte("trigger_link")) {
		return map[string]any{}, nil
	}
	links, err := a.opts.TriggerLinks.ForContact(ctx, a.opts.LinkBaseURL, in.Run.AccountID, in.Run.ContactID)
	if err != nil {
		return nil, fmt.Errorf("rendering trigger links: %w", err)
	}
	return links, nil
}
