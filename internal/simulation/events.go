package simulation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// applied are the events that change the contact's copy before they reach
// the run, as the change that raises them does on the server: a tag added,
// an appointment cancelled or moved. A condition wait on the tag then holds,
// and an appointment wait reads the new status or time. Other events only
// reach the run.
var applied = map[string]func(tx *gorm.DB, r *run, data map[string]any) (changed bool, err error){
	"contact_tag_added":          applyTagAdded,
	"contact_tag_removed":        applyTagRemoved,
	"appointment_status_changed": applyAppointmentStatus,
	"appointment_rescheduled":    applyAppointmentMoved,
	"appointment_deleted":        applyAppointmentDeleted,
}

// apply changes the copy for ev, if it is an event that changes it; one
// naming nothing of the contact's changes nothing and says so.
func (r *run) apply(ctx context.Context, i int, ev Event) error {
	fn, ok := applied[ev.Type]
	if !ok {
		return nil
	}
	changed, err := fn(r.db.WithContext(ctx), r, ev.Data)
	if err != nil {
		return fmt.Errorf("applying %s to the simulated contact: %w", ev.Type, err)
	}
	if !changed {
		r.warn(fmt.Sprintf("events[%d]", i), fmt.Sprintf("%s changed nothing: the contact has no such %s", ev.Type, changes[ev.Type]))
	}
	return nil
}

// changes says what each applied event changes, for warnings.
var changes = map[string]string{
	"contact_tag_added": "tag to add (it has it already)", "contact_tag_removed": "tag",
	"appointment_status_changed": "appointment", "appointment_rescheduled": "appointment", "appointment_deleted": "appointment",
}

// CheckEvent names what an event that changes the copy lacks in its data
// (paths relative to the event: "data.tag").
func CheckEvent(ev Event) []validation.FieldError {
	need := map[string][]string{
		"contact_tag_added": {"tag"}, "contact_tag_removed": {"tag"},
		"appointment_status_changed": {"appointment_id", "status"}, "appointment_rescheduled": {"appointment_id", "start_time"},
		"appointment_deleted": {"appointment_id"},
	}[ev.Type]
	var errs []validation.FieldError
	for _, k := range need {
		if text(ev.Data, k) == "" {
			errs = append(errs, validation.FieldError{Path: "data." + k,
				Message: fmt.Sprintf("is required (a non-empty string): %s changes the simulated contact by it", ev.Type)})
		}
	}
	if ev.Type == "appointment_rescheduled" && text(ev.Data, "start_time") != "" {
		if _, err := time.Parse(time.RFC3339, text(ev.Data, "start_time")); err != nil {
			errs = append(errs, validation.FieldError{Path: "data.start_time", Message: "must be an RFC 3339 time, e.g. 2027-01-06T15:00:00Z"})
		}
	}
	return errs
}

func text(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return strings.TrimSpace(s)
}

func applyTagAdded(tx *gorm.DB, r *run, data map[string]any) (bool, error) {
	tag := text(data, "tag")
	var n int64
	if err := tx.Model(&models.ContactTag{}).Where("contact_id = ? AND tag_key = ?", r.req.ContactID, strings.ToLower(tag)).
		Count(&n).Error; err != nil || n > 0 {
		return false, err
	}
	err := tx.Create(&models.ContactTag{ContactID: r.req.ContactID, AccountID: r.req.AccountID, Tag: tag,
		TagIndex: strings.ToLower(tag), CreatedAt: r.env.Now().UTC()}).Error
	return err == nil, err
}

func applyTagRemoved(tx *gorm.DB, r *run, data map[string]any) (bool, error) {
	return affected(tx.Where("contact_id = ? AND tag_key = ?", r.req.ContactID, strings.ToLower(text(data, "tag"))).
		Delete(&models.ContactTag{}))
}

// affected is whether a write changed a row.
func affected(res *gorm.DB) (bool, error) {
	return res.RowsAffected > 0, res.Error
}

// appointment scopes a change to the contact's appointment the event names.
func appointment(tx *gorm.DB, r *run, data map[string]any) *gorm.DB {
	return tx.Model(&models.Appointment{}).Where("contact_id = ? AND id = ?", r.req.ContactID, text(data, "appointment_id"))
}

func applyAppointmentStatus(tx *gorm.DB, r *run, data map[string]any) (bool, error) {
	return affected(appointment(tx, r, data).Update("status", strings.ToLower(text(data, "status"))))
}

func applyAppointmentMoved(tx *gorm.DB, r *run, data map[string]any) (bool, error) {
	start, err := time.Parse(time.RFC3339, text(data, "start_time"))
	if err != nil {
		return false, nil // CheckEvent refuses it before the simulation starts
	}
	return affected(appointment(tx, r, data).Update("start_time", start.UTC()))
}

func applyAppointmentDeleted(tx *gorm.DB, r *run, data map[string]any) (bool, error) {
	return affected(tx.Where("contact_id = ? AND id = ?", r.req.ContactID, text(data, "appointment_id")).Delete(&models.Appointment{}))
}
