package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/history"
	"github.com/crmflow/crmflow/workflows/durations"
)

// StuckAnswer says why a running enrollment looks stuck (history.Stuck).
type StuckAnswer struct {
	Kind   string    `json:"kind"` // no_deadline, overdue, running_long
	Reason string    `json:"reason"`
	StepID string    `json:"step_id"`
	Since  time.Time `json:"since"`
}

// StuckEnrollmentAnswer is an item of ?stuck=true: the enrollment and why.
type StuckEnrollmentAnswer struct {
	EnrollmentAnswer
	Stuck StuckAnswer `json:"stuck"`
}

// stuck reads ?stuck= (true or false) and ?stuck_after=, which only
// ?stuck=true reads.
func (q *queryReader) stuck() (bool, time.Duration) {
	stuck, given := q.boolean("stuck")
	v := q.raw("stuck_after")
	if v == "" {
		return stuck, 0
	}
	// A refused ?stuck= is named already; stuck_after is still checked.
	if refused := !given && q.raw("stuck") != ""; !stuck && !refused {
		q.fault("stuck_after", "is only read with stuck=true")
		return false, 0
	}
	d, err := durations.Parse(v)
	switch {
	case err != nil:
		q.fault("stuck_after", "%s", err.Error())
	case d <= 0:
		q.fault("stuck_after", "must be longer than zero")
	case d > 1825*24*time.Hour:
		q.fault("stuck_after", "must be at most 5 years (1825d)")
	default:
		return stuck, d
	}
	return false, 0
}

// listStuckEnrollments answers ?stuck=true: the workflow's running
// enrollments that look stuck, ordered and paged like the other lists,
// still filtered by status and ?contact_id= (checked by the caller).
func (s *server) listStuckEnrollments(c echo.Context, p page, status string, after time.Duration) error {
	rows, more, err := s.history().Stuck(c.Request().Context(), history.StuckFilter{
		AccountID: account(c).ID, WorkflowID: param(c, "id"), StuckAfter: after, Limit: p.limit, After: p.after,
		Status: status, ContactID: strings.TrimSpace(c.QueryParam("contact_id")),
	})
	if errors.Is(err, history.ErrWorkflowNotFound) {
		return notFound("workflow")
	} else if err != nil {
		return err
	}
	items := make([]StuckEnrollmentAnswer, len(rows))
	for i := range rows {
		r := &rows[i]
		items[i] = StuckEnrollmentAnswer{EnrollmentAnswer: s.enrollmentAnswer(&r.Enrollment),
			Stuck: StuckAnswer{Kind: r.Kind, Reason: r.Reason, StepID: r.StepID, Since: utc(r.Since)}}
	}
	var next *string
	if more && len(rows) > 0 {
		cur := encodeCursor(rows[len(rows)-1].Enrollment.ID)
		next = &cur
	}
	return c.JSON(http.StatusOK, List[StuckEnrollmentAnswer]{Items: items, NextCursor: next})
}
