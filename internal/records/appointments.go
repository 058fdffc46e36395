package records

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// AppointmentStatuses are the statuses an appointment can have.
var AppointmentStatuses = []string{models.AppointmentNew, models.AppointmentConfirmed, models.AppointmentCancelled,
	models.AppointmentShowed, models.AppointmentNoShow}

// AppointmentInput is an appointment as the API receives it; nil fields are
// left alone, so the same type serves create and patch.
type AppointmentInput struct {
	ContactID  *string `json:"contact_id"`
	CalendarID *string `json:"calendar_id"`
	Title      *string `json:"title"`
	StartTime  *string `json:"start_time"` // RFC 3339
	EndTime    *string `json:"end_time"`   // RFC 3339, after start_time
	Status     *string `json:"status"`     // default "new"
}

// GetAppointment loads an appointment of the account.
func (s *Service) GetAppointment(ctx context.Context, accountID, id string) (*models.Appointment, error) {
	var a models.Appointment
	if err := first(s.DB.WithContext(ctx), "appointment", accountID, id, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// BookAppointment stores an appointment and raises appointment_booked: a
// created appointment is a booking, whoever enters it.
func (s *Service) BookAppointment(ctx context.Context, accountID string, in AppointmentInput) (*models.Appointment, error) {
	a := &models.Appointment{ID: models.NewID(), AccountID: accountID, Status: models.AppointmentNew}
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		if err := applyAppointment(tx, in, a); err != nil {
			return nil, err
		}
		if err := tx.Create(a).Error; err != nil {
			return nil, fmt.Errorf("creating appointment: %w", err)
		}
		return []*models.Event{appointmentEvent(a, "appointment_booked", "")}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetAppointment(ctx, accountID, a.ID)
}

// UpdateAppointment applies a patch and raises appointment_status_changed
// when the status changes, appointment_rescheduled when the start moves (the row is locked, so two concurrent patches to
// the same status raise it once).
func (s *Service) UpdateAppointment(ctx context.Context, accountID, id string, in AppointmentInput) (*models.Appointment, error) {
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		var a models.Appointment
		if err := first(forUpdate(tx), "appointment", accountID, id, &a); err != nil {
			return nil, err
		}
		prev, prevStart := a.Status, a.StartTime
		if err := applyAppointment(tx, in, &a); err != nil {
			return nil, err
		}
		if err := tx.Save(&a).Error; err != nil {
			return nil, fmt.Errorf("updating appointment %s: %w", id, err)
		}
		var events []*models.Event
		if a.Status != prev {
			events = append(events, appointmentEvent(&a, "appointment_status_changed", prev))
		}
		if !a.StartTime.Equal(prevStart) {
			// Waits timed from the appointment move with it.
			ev := appointmentEvent(&a, "appointment_rescheduled", prev)
			ev.Data["previous_start_time"] = prevStart.UTC().Format(time.RFC3339)
			events = append(events, ev)
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetAppointment(ctx, accountID, id)
}

// DeleteAppointment removes an appointment (cancelling is a status change)
// and raises appointment_deleted, which reaches the contact's runs (an
// appointment wait takes on_cancel) and triggers nothing. Deleting one that
// is not there raises nothing.
func (s *Service) DeleteAppointment(ctx context.Context, accountID, id string) error {
	return s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		var a models.Appointment
		if err := first(forUpdate(tx), "appointment", accountID, id, &a); err != nil {
			return nil, err
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Appointment{})
		if res.Error != nil {
			return nil, fmt.Errorf("deleting appointment %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, &NotFoundError{What: "appointment"}
		}
		return []*models.Event{appointmentEvent(&a, "appointment_deleted", "")}, nil
	})
}

func applyAppointment(tx *gorm.DB, in AppointmentInput, a *models.Appointment) error {
	p := validation.NewProblems()
	moved := false
	if in.ContactID != nil {
		id := strings.TrimSpace(*in.ContactID)
		// The booking's enrollments and waits belong to its contact: handing
		// the appointment over would leave them waiting on one that is no
		// longer theirs, and the new contact would never see it booked.
		if moved = a.ContactID != "" && id != a.ContactID; moved {
			p.Add("contact_id", "cannot change: an appointment stays with the contact who booked it; cancel it and book one for the other contact")
		} else {
			a.ContactID = id
		}
	}
	switch {
	case moved:
	case a.ContactID == "":
		p.Add("contact_id", "is required")
	case in.ContactID != nil:
		ok, err := contactExists(tx, a.AccountID, a.ContactID)
		if err != nil {
			return err
		}
		if !ok {
			p.Add("contact_id", "no contact %q in this account", a.ContactID)
		}
	}
	if in.CalendarID != nil {
		a.CalendarID = strings.TrimSpace(*in.CalendarID)
	}
	switch {
	case a.CalendarID == "":
		p.Add("calendar_id", "is required")
	case len(a.CalendarID) > 255:
		p.Add("calendar_id", "is at most 255 characters")
	}
	if in.Title != nil {
		a.Title = strings.TrimSpace(*in.Title)
		if len(a.Title) > 500 {
			p.Add("title", "is at most 500 characters")
		}
	}
	readTime(p, "start_time", in.StartTime, &a.StartTime)
	readTime(p, "end_time", in.EndTime, &a.EndTime)
	if !a.StartTime.IsZero() && !a.EndTime.IsZero() && !a.EndTime.After(a.StartTime) {
		p.Add("end_time", "must be after start_time")
	}
	if in.Status != nil {
		a.Status = strings.ToLower(strings.TrimSpace(*in.Status))
		if !slices.Contains(AppointmentStatuses, a.Status) {
			p.Add("status", "must be one of %s", strings.Join(AppointmentStatuses, ", "))
		}
	}
	if errs := p.Errors(); errs != nil {
		return errs
	}
	return nil
}

// readTime parses an RFC 3339 time into dst; a time is required once set.
func readTime(p *validation.Problems, path string, in *string, dst *time.Time) {
	if in != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in))
		if err != nil {
			p.Add(path, "must be an RFC 3339 time, e.g. 2026-12-03T15:00:00Z")
			return
		}
		*dst = t.UTC().Truncate(time.Microsecond)
	}
	if dst.IsZero() {
		p.Add(path, "is required")
	}
}

func appointmentEvent(a *models.Appointment, typ, prevStatus string) *models.Event {
	return newEvent(a.AccountID, a.ContactID, typ, map[string]any{
		"appointment_id": a.ID, "calendar_id": a.CalendarID, "status": a.Status,
		"start_time": a.StartTime.UTC().Format(time.RFC3339), "end_time": a.EndTime.UTC().Format(time.RFC3339),
		"title": a.Title, "previous_status": prevStatus,
	})
}
