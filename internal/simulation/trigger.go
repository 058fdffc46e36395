package simulation

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// triggerWarnings says when the simulated trigger would not enroll the
// contact: the workflow has no trigger of its type, or none whose filters
// the contact and the event meet at the start. The simulation runs anyway
// (what would happen if it did enroll them is still worth seeing).
func triggerWarnings(ctx context.Context, db *gorm.DB, req Request) ([]string, error) {
	t := req.Trigger
	if t == nil || req.Definition == nil {
		return nil, nil
	}
	var c models.Contact
	if err := db.WithContext(ctx).Preload("Tags").First(&c, "id = ?", req.ContactID).Error; err != nil {
		return nil, fmt.Errorf("reading the simulated contact: %w", err)
	}
	var acct models.Account
	if err := db.WithContext(ctx).First(&acct, "id = ?", req.AccountID).Error; err != nil {
		return nil, fmt.Errorf("reading the simulated account: %w", err)
	}
	loc := calendar.Zone(req.Definition.Settings.Timezone, c.Timezone, acct.Timezone)
	scope := condition.MapScope{"contact": c.Fields(), "event": t.Data, "now": condition.NowFields(req.Start.In(loc))}
	ofType := 0
	for i := range req.Definition.Triggers {
		tr := &req.Definition.Triggers[i]
		if tr.Type != t.Type {
			continue
		}
		ofType++
		if condition.Evaluate(tr.Filters, scope, req.Start) && triggers.Accepts(tr, t.Data) {
			return nil, nil
		}
	}
	if ofType == 0 {
		return []string{fmt.Sprintf("the workflow has no %s trigger: this event would not enroll the contact", t.Type)}, nil
	}
	return []string{fmt.Sprintf("no %s trigger of the workflow matches this contact and event (its filters): "+
		"this event would not enroll the contact", t.Type)}, nil
}
