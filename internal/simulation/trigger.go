package simulation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/check"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// triggerWarnings says when the simulated trigger would not enroll the
// contact (the workflow has no trigger of its type, or none whose filters
// the contact and the event meet at the start), or when there is none but
// the steps read the event. The simulation runs anyway: what would happen
// if the contact were enrolled is still worth seeing.
func triggerWarnings(ctx context.Context, db *gorm.DB, req Request) ([]Warning, error) {
	if req.Definition == nil {
		return nil, nil
	}
	t := req.Trigger
	if t == nil {
		if readsEvent(req.Definition) {
			return []Warning{{Path: "trigger", Message: "no trigger given, but the steps read the triggering event " +
				"(event.* in a template, or an appointment wait): it reads empty; give trigger.type and trigger.data"}}, nil
		}
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
		return []Warning{{Path: "trigger.type", Message: fmt.Sprintf("the workflow has no %s trigger: this event would not enroll the contact", t.Type)}}, nil
	}
	return []Warning{{Path: "trigger", Message: fmt.Sprintf("no %s trigger of the workflow matches this contact and event (its filters): "+
		"this event would not enroll the contact", t.Type)}}, nil
}

// readsEvent: some step reads the triggering event, in a template or as an
// appointment wait on the triggering appointment.
func readsEvent(def *definition.Definition) bool {
	for i := range def.Steps {
		s := &def.Steps[i]
		if check.TemplatesRead(s, "event") || (s.Type == "wait" && appointmentOfTrigger(s.Config)) {
			return true
		}
	}
	return false
}

// entryWarnings says when the server would not enroll the contact now: it
// entered the workflow before and re-entry is off, or it is in it now.
func entryWarnings(ctx context.Context, db *gorm.DB, req Request) ([]Warning, error) {
	if req.Definition == nil {
		return nil, nil
	}
	var rows []models.Enrollment
	err := db.WithContext(ctx).Select("id", "status").Where("account_id = ? AND workflow_id = ? AND contact_id = ? AND test = ?",
		req.AccountID, req.WorkflowID, req.ContactID, false).Order("entry_no DESC").Limit(20).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("reading the contact's enrollments: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if !req.Definition.Settings.AllowReentry {
		return []Warning{{Path: "contact_id", Message: fmt.Sprintf("the contact entered this workflow before (enrollment %s) and "+
			"settings.allow_reentry is off: the server would not enroll it again", rows[0].ID)}}, nil
	}
	running := []string{models.EnrollmentPending, models.EnrollmentActive, models.EnrollmentWaiting}
	for _, e := range rows {
		if slices.Contains(running, e.Status) {
			return []Warning{{Path: "contact_id", Message: fmt.Sprintf("the contact is in this workflow now (enrollment %s, %s): "+
				"the server would enroll it again only once that ends", e.ID, e.Status)}}, nil
		}
	}
	return nil, nil
}

// appointmentOfTrigger: a wait on the triggering appointment (mode
// appointment without an appointment_id of its own).
func appointmentOfTrigger(raw json.RawMessage) bool {
	var c struct {
		Mode          string `json:"mode"`
		AppointmentID string `json:"appointment_id"`
	}
	return json.Unmarshal(raw, &c) == nil && c.Mode == "appointment" && c.AppointmentID == ""
}
