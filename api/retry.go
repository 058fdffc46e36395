package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/enrollment"
)

// retryRoutes resume failed enrollments at their failed step.
func (s *server) retryRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/enrollments/:id/retry", s.retryEnrollment)
	s.v1(e, http.MethodPost, "/v1/workflows/:id/retry-failed", s.retryFailed)
}

// retryEnrollment resumes one failed enrollment (409 when it has not failed).
func (s *server) retryEnrollment(c echo.Context) error {
	e, err := s.enrollments.Retry(c.Request().Context(), account(c).ID, param(c, "id"))
	if errors.Is(err, enrollment.ErrNotFailed) {
		return typed(http.StatusConflict, typeConflict, "Conflict", err.Error())
	}
	if err != nil && e == nil {
		return err
	}
	// A start that failed is left pending for the sweeper: still accepted.
	return s.answerDetail(c, e)
}

// RetryFailedAnswer says how many failed enrollments were resumed.
type RetryFailedAnswer struct {
	Retried int `json:"retried"`
}

// retryFailed resumes every failed enrollment of a workflow.
func (s *server) retryFailed(c echo.Context) error {
	n, err := s.enrollments.RetryFailed(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil && n == 0 {
		return err
	}
	if err != nil {
		s.log.WarnContext(c.Request().Context(), "some failed enrollments could not be retried now; the sweeper starts them", "error", err)
	}
	return c.JSON(http.StatusOK, RetryFailedAnswer{Retried: n})
}
