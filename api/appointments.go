package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// AppointmentAnswer is an appointment on the wire.
type AppointmentAnswer struct {
	ID         string    `json:"id"`
	ContactID  string    `json:"contact_id"`
	CalendarID string    `json:"calendar_id"`
	Title      string    `json:"title"`
	StartTime  time.Time `json:"start_time"`
	EndTime    time.Time `json:"end_time"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func appointmentAnswer(a *models.Appointment) AppointmentAnswer {
	return AppointmentAnswer{ID: a.ID, ContactID: a.ContactID, CalendarID: a.CalendarID, Title: a.Title,
		StartTime: utc(a.StartTime), EndTime: utc(a.EndTime), Status: a.Status,
		CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt)}
}

func (s *server) appointmentRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/appointments", s.bookAppointment)
	s.v1(e, http.MethodGet, "/v1/appointments", s.listAppointments)
	s.v1(e, http.MethodGet, "/v1/appointments/:id", s.getAppointment)
	s.v1(e, http.MethodPatch, "/v1/appointments/:id", s.updateAppointment)
	s.v1(e, http.MethodDelete, "/v1/appointments/:id", s.deleteAppointment)
}

// bookAppointment creates an appointment and fires appointment_booked.
func (s *server) bookAppointment(c echo.Context) error {
	var in records.AppointmentInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := s.records().BookAppointment(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, appointmentAnswer(a))
}

func (s *server) getAppointment(c echo.Context) error {
	a, err := s.records().GetAppointment(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, appointmentAnswer(a))
}

// updateAppointment fires appointment_status_changed when the status changes.
func (s *server) updateAppointment(c echo.Context) error {
	var in records.AppointmentInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := s.records().UpdateAppointment(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, appointmentAnswer(a))
}

// deleteAppointment removes an appointment and raises appointment_deleted,
// which reaches the contact's runs: a waiting appointment wait takes on_cancel.
func (s *server) deleteAppointment(c echo.Context) error {
	if err := s.records().DeleteAppointment(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listAppointments(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	status := qr.oneOf("status", records.AppointmentStatuses)
	if err := qr.err(); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	q = whereEq(c, q, "contact_id", "calendar_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []models.Appointment
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Appointment) string { return m.ID }, appointmentAnswer))
}
