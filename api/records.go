package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// recordRoutes registers the records that raise events besides contacts:
// users, notes, tasks, pipelines, opportunities and appointments.
func (s *server) recordRoutes(e *echo.Echo) {
	if s.opts.Records == nil {
		rs := &records.Service{DB: s.db, Log: s.log, DefaultRegion: s.region()}
		if s.enrollments != nil {
			rs.Router = s.enrollments
		}
		s.opts.Records = rs
	}
	s.userRoutes(e)
	s.noteRoutes(e)
	s.taskRoutes(e)
	s.pipelineRoutes(e)
	s.opportunityRoutes(e)
	s.appointmentRoutes(e)
}

func (s *server) records() *records.Service { return s.opts.Records }

// recordError turns the records service's errors into their answers; a
// record of another account is "not found", exactly like a missing one.
func recordError(err error) error {
	var nf *records.NotFoundError
	var ce *records.ConflictError
	switch {
	case errors.As(err, &nf):
		return notFound(nf.What)
	case errors.As(err, &ce):
		return typed(http.StatusConflict, typeConflict, "Conflict", ce.Message,
			validation.FieldError{Path: ce.Path, Message: ce.Message})
	}
	return err
}

// requireContact answers 404 unless the contact in the path is the account's.
func (s *server) requireContact(c echo.Context, id string) error {
	var n int64
	err := s.db.WithContext(c.Request().Context()).Model(&models.Contact{}).
		Where("account_id = ? AND id = ?", account(c).ID, id).Count(&n).Error
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("contact")
	}
	return nil
}

// whereEq adds an exact-match filter for each query parameter given.
func whereEq(c echo.Context, q *gorm.DB, params ...string) *gorm.DB {
	for _, p := range params {
		if v := strings.TrimSpace(c.QueryParam(p)); v != "" {
			q = q.Where(p+" = ?", v)
		}
	}
	return q
}
