package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// EnrollmentAnswer is an enrollment on the wire. Status is one of pending
// (recorded, its run not started yet), active, waiting, completed, failed,
// exited.
type EnrollmentAnswer struct {
	ID                 string     `json:"id"`
	WorkflowID         string     `json:"workflow_id"`
	ContactID          string     `json:"contact_id"`
	Version            int        `json:"version"`
	Status             string     `json:"status"`
	CurrentStep        string     `json:"current_step"`
	ExitReason         string     `json:"exit_reason"`
	Test               bool       `json:"test"`
	TriggerID          string     `json:"trigger_id"`
	EventID            string     `json:"event_id"`
	TemporalWorkflowID string     `json:"temporal_workflow_id"`
	TemporalRunID      string     `json:"temporal_run_id"`
	TemporalUIURL      *string    `json:"temporal_ui_url"`
	Retries            int        `json:"retries"`
	StartedAt          time.Time  `json:"started_at"`
	FinishedAt         *time.Time `json:"finished_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// EnrollmentDetail is one enrollment with its execution log.
type EnrollmentDetail struct {
	EnrollmentAnswer
	Steps []StepAnswer `json:"steps"`
}

// StepAnswer is one visit of one step in the execution log.
type StepAnswer struct {
	StepID     string         `json:"step_id"`
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Visit      int            `json:"visit"`
	Status     string         `json:"status"`
	Attempts   int            `json:"attempts"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"`
	Output     map[string]any `json:"output"`
	Error      string         `json:"error"`
}

func (s *server) enrollmentAnswer(e *models.Enrollment) EnrollmentAnswer {
	return EnrollmentAnswer{
		ID: e.ID, WorkflowID: e.WorkflowID, ContactID: e.ContactID, Version: e.Version, Status: e.Status,
		CurrentStep: e.CurrentStep, ExitReason: e.ExitReason, Test: e.Test, TriggerID: e.TriggerID, EventID: e.EventID,
		TemporalWorkflowID: e.TemporalWorkflowID, TemporalRunID: e.TemporalRunID, TemporalUIURL: s.temporalUIURL(e),
		Retries:   e.Retries,
		StartedAt: utc(e.StartedAt), FinishedAt: utcPtr(e.FinishedAt), UpdatedAt: utc(e.UpdatedAt),
	}
}

// temporalUIURL links the enrollment's run in the Temporal Web UI; null
// without a UI or before the run has started.
func (s *server) temporalUIURL(e *models.Enrollment) *string {
	if s.opts.TemporalUIURL == "" || e.TemporalWorkflowID == "" || e.TemporalRunID == "" {
		return nil
	}
	u := strings.TrimRight(s.opts.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(s.opts.Namespace) +
		"/workflows/" + url.PathEscape(e.TemporalWorkflowID) + "/" + url.PathEscape(e.TemporalRunID) + "/history"
	return &u
}

type enrollInput struct {
	ContactID *string `json:"contact_id"`
}

// enroll adds a contact to a published workflow now. It answers 201 with a
// new enrollment, or 200 with the existing one when the re-entry setting
// kept the contact from entering again.
func (s *server) enroll(c echo.Context) error {
	return s.startEnrollment(c, false)
}

// testWorkflow runs the current definition, draft or not, for one contact,
// marked as a test; always a new enrollment (201).
func (s *server) testWorkflow(c echo.Context) error {
	return s.startEnrollment(c, true)
}

func (s *server) startEnrollment(c echo.Context, test bool) error {
	var in enrollInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if blank(in.ContactID) {
		return invalidAt("contact_id", "is required")
	}
	ctx := c.Request().Context()
	e, created, err := s.enrollments.Enroll(ctx, enrollment.Request{
		AccountID: account(c).ID, WorkflowID: param(c, "id"), ContactID: strings.TrimSpace(*in.ContactID), Test: test,
	})
	switch {
	case errors.Is(err, enrollment.ErrContactNotFound):
		return notFound("contact", validation.FieldError{Path: "contact_id", Message: "no contact with this id"})
	case err != nil && created:
		// The enrollment is recorded but its run did not start; the
		// sweeper starts it later, so the request did succeed.
		s.log.WarnContext(ctx, "enrollment recorded, run not started yet; the sweeper will retry",
			"enrollment_id", e.ID, "error", err)
	case err != nil:
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, s.enrollmentAnswer(e))
}

// getEnrollment answers one enrollment with its execution log, ordered by
// when each step started.
func (s *server) getEnrollment(c echo.Context) error {
	e, err := s.enrollments.Get(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return err
	}
	return s.answerDetail(c, e)
}

func (s *server) answerDetail(c echo.Context, e *models.Enrollment) error {
	var rows []models.StepExecution
	err := s.db.WithContext(c.Request().Context()).Where("account_id = ? AND enrollment_id = ?", e.AccountID, e.ID).
		Order("started_at, id").Find(&rows).Error
	if err != nil {
		return err
	}
	steps := make([]StepAnswer, len(rows))
	for i, r := range rows {
		steps[i] = StepAnswer{StepID: r.StepID, Type: r.StepType, Name: r.StepName, Visit: r.Visit, Status: r.Status,
			Attempts: r.Attempts, StartedAt: utc(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt), Output: r.Output, Error: r.Error}
	}
	return c.JSON(http.StatusOK, EnrollmentDetail{EnrollmentAnswer: s.enrollmentAnswer(e), Steps: steps})
}

// cancelEnrollment removes the contact from the workflow; cancelling an
// enrollment that already ended changes nothing and answers it as it is.
func (s *server) cancelEnrollment(c echo.Context) error {
	e, err := s.enrollments.Cancel(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return err
	}
	return s.answerDetail(c, e)
}

var enrollmentStatuses = []string{models.EnrollmentPending, models.EnrollmentActive, models.EnrollmentWaiting,
	models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited}

// listEnrollments lists a workflow's enrollments, filtered by ?status= and
// ?contact_id=; ?stuck=true keeps the running ones that look stuck (stuck.go).
func (s *server) listEnrollments(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	stuck, stuckAfter := qr.stuck()
	status := qr.oneOf("status", enrollmentStatuses)
	if err := qr.err(); err != nil {
		return err
	}
	ctx, acct := c.Request().Context(), account(c).ID
	q := s.db.WithContext(ctx).Where("account_id = ? AND workflow_id = ?", acct, param(c, "id"))
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if id := qr.text("contact_id"); id != "" {
		q = q.Where("contact_id = ?", id)
	}
	if _, err := s.definitions.Get(ctx, acct, param(c, "id")); errors.Is(err, definitions.ErrNotFound) {
		return notFound("workflow")
	} else if err != nil {
		return err
	}
	if stuck {
		return s.listStuckEnrollments(c, p, status, stuckAfter)
	}
	var rows []models.Enrollment
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(e *models.Enrollment) string { return e.ID },
		func(e *models.Enrollment) EnrollmentAnswer { return s.enrollmentAnswer(e) }))
}
