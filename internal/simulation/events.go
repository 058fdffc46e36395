package simulation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// applied are the events that change the contact's copy before they reach
// the run, as the change that raises them does on the server: a tag added,
// an appointment cancelled or moved. A condition wait on the tag then holds,
// and an appointment wait reads the new status or time. Other events only
// reach the run.
var applied = map[string]func(tx *gorm.DB, r *run, data map[string]any) error{
	"contact_tag_added":          applyTagAdded,
	"contact_tag_removed":        applyTagRemoved,
	"appointment_status_changed": applyAppointmentStatus,
	"appointment_rescheduled":    applyAppointmentMoved,
	"appointment_deleted":        applyAppointmentDeleted,
}

// apply changes the copy for ev, if it is an event that changes it.
func (r *run) apply(ctx context.Context, ev Event) error {
	fn, ok := applied[ev.Type]
	if !ok {
		return nil
	}
	if err := fn(r.db.WithContext(ctx), r, ev.Data); err != nil {
		return fmt.Errorf("applying %s to the simulated contact: %w", ev.Type, err)
	}
	return nil
}

func text(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return strings.TrimSpace(s)
}

func applyTagAdded(tx *gorm.DB, r *run, data map[string]any) error {
	tag := text(data, "tag")
	if tag == "" {
		return nil
	}
	var n int64
	if err := tx.Model(&models.ContactTag{}).Where("contact_id = ? AND tag_key = ?", r.req.ContactID, strings.ToLower(tag)).
		Count(&n).Error; err != nil || n > 0 {
		return err
	}
	return tx.Create(&models.ContactTag{ContactID: r.req.ContactID, AccountID: r.req.AccountID, Tag: tag,
		TagIndex: strings.ToLower(tag), CreatedAt: r.env.Now().UTC()}).Error
}

func applyTagRemoved(tx *gorm.DB, r *run, data map[string]any) error {
	tag := text(data, "tag")
	if tag == "" {
		return nil
	}
	return tx.Where("contact_id = ? AND tag_key = ?", r.req.ContactID, strings.ToLower(tag)).Delete(&models.ContactTag{}).Error
}

// appointment scopes a change to the contact's appointment the event names.
func appointment(tx *gorm.DB, r *run, data map[string]any) *gorm.DB {
	return tx.Model(&models.Appointment{}).Where("contact_id = ? AND id = ?", r.req.ContactID, text(data, "appointment_id"))
}

func applyAppointmentStatus(tx *gorm.DB, r *run, data map[string]any) error {
	status := strings.ToLower(text(data, "status"))
	if status == "" {
		return nil
	}
	return appointment(tx, r, data).Update("status", status).Error
}

func applyAppointmentMoved(tx *gorm.DB, r *run, data map[string]any) error {
	start, err := time.Parse(time.RFC3339, text(data, "start_time"))
	if err != nil {
		return nil // the event says it moved, not where to: the wait keeps the time it has
	}
	return appointment(tx, r, data).Update("start_time", start.UTC()).Error
}

func applyAppointmentDeleted(tx *gorm.DB, r *run, data map[string]any) error {
	return tx.Where("contact_id = ? AND id = ?", r.req.ContactID, text(data, "appointment_id")).Delete(&models.Appointment{}).Error
}
