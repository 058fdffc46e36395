package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/template"
)

// Resolve reads what a flow step needs from outside the workflow: its
// templates rendered against the contact as it is now, the workflow's
// timezone for this contact, an appointment. A local activity: the answer
// is recorded, so a replay takes the same path.
func (a *Activities) Resolve(ctx context.Context, in workflows.ResolveInput) (steps.Resolved, error) {
	req := in.Request
	var out steps.Resolved
	scope, contact, err := a.scope(ctx, in.StepInput)
	if err != nil {
		return out, classify(err)
	}
	if len(req.Templates) > 0 {
		out.Rendered = make(map[string]string, len(req.Templates))
		for name, t := range req.Templates {
			v, err := template.Render(t, scope)
			if err != nil {
				return out, classify(permanent("config.%s: %v", name, err))
			}
			out.Rendered[name] = v
		}
	}
	if req.Zone {
		accountZone, _ := scope["account"].(map[string]any)["timezone"].(string)
		out.Zone = calendar.Zone(in.Settings.Timezone, contact.Timezone, accountZone).String()
	}
	if req.AppointmentID != "" {
		id, err := template.Render(req.AppointmentID, scope)
		if err != nil {
			return out, classify(permanent("config.appointment_id: %v", err))
		}
		if out.Appointment, err = a.appointment(ctx, in.Run, strings.TrimSpace(id)); err != nil {
			return out, err
		}
	}
	return out, nil
}

// appointment reads an appointment of the contact; one that is gone (or
// never was, or is another contact's) comes back as not found.
func (a *Activities) appointment(ctx context.Context, run workflows.RunRef, id string) (*steps.Appointment, error) {
	res := &steps.Appointment{ID: id}
	if id == "" {
		return res, nil
	}
	var appt models.Appointment
	err := a.opts.DB.WithContext(ctx).Where("account_id = ? AND contact_id = ? AND id = ?", run.AccountID, run.ContactID, id).First(&appt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Say why when it is there, but another contact's: a config that
		// names a fixed appointment id, or a template reading the wrong field.
		var n int64
		if err := a.opts.DB.WithContext(ctx).Model(&models.Appointment{}).Where("account_id = ? AND id = ?", run.AccountID, id).
			Count(&n).Error; err != nil {
			return nil, fmt.Errorf("loading appointment %s: %w", id, err)
		}
		res.OtherContacts = n > 0
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading appointment %s: %w", id, err)
	}
	res.Found, res.Status, res.StartTime = true, appt.Status, appt.StartTime.UTC()
	return res, nil
}
