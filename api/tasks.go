package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// TaskAnswer is a task on the wire.
type TaskAnswer struct {
	ID          string     `json:"id"`
	ContactID   string     `json:"contact_id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	AssigneeID  *string    `json:"assignee_id"`
	DueAt       *time.Time `json:"due_at"`
	Completed   bool       `json:"completed"`
	CompletedAt *time.Time `json:"completed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func taskAnswer(t *models.Task) TaskAnswer {
	return TaskAnswer{ID: t.ID, ContactID: t.ContactID, Title: t.Title, Body: t.Body, AssigneeID: t.AssigneeID,
		DueAt: utcPtr(t.DueAt), Completed: t.Completed, CompletedAt: utcPtr(t.CompletedAt),
		CreatedAt: utc(t.CreatedAt), UpdatedAt: utc(t.UpdatedAt)}
}

func (s *server) taskRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/contacts/:id/tasks", s.addTask)
	s.v1(e, http.MethodGet, "/v1/contacts/:id/tasks", s.listTasks)
	s.v1(e, http.MethodGet, "/v1/tasks/:id", s.getTask)
	s.v1(e, http.MethodPatch, "/v1/tasks/:id", s.updateTask)
	s.v1(e, http.MethodDelete, "/v1/tasks/:id", s.deleteTask)
}

// addTask adds a task to the contact and fires task_added.
func (s *server) addTask(c echo.Context) error {
	var in records.TaskInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.records().AddTask(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, taskAnswer(t))
}

func (s *server) getTask(c echo.Context) error {
	t, err := s.records().GetTask(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, taskAnswer(t))
}

// updateTask patches a task; completing it fires task_completed once.
func (s *server) updateTask(c echo.Context) error {
	var in records.TaskInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.records().UpdateTask(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, taskAnswer(t))
}

func (s *server) deleteTask(c echo.Context) error {
	if err := s.records().DeleteTask(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// listTasks lists a contact's tasks, optionally only open or completed ones.
func (s *server) listTasks(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	completed, filter := qr.boolean("completed")
	if err := qr.err(); err != nil {
		return err
	}
	contactID := param(c, "id")
	if err := s.requireContact(c, contactID); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ? AND contact_id = ?", account(c).ID, contactID)
	if filter {
		q = q.Where("completed = ?", completed)
	}
	var rows []models.Task
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Task) string { return m.ID }, taskAnswer))
}
