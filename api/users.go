package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// UserAnswer is a team member on the wire.
type UserAnswer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func userAnswer(u *models.User) UserAnswer {
	return UserAnswer{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone,
		CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt)}
}

func (s *server) userRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/users", s.createUser)
	s.v1(e, http.MethodGet, "/v1/users", s.listUsers)
	s.v1(e, http.MethodGet, "/v1/users/:id", s.getUser)
	s.v1(e, http.MethodPatch, "/v1/users/:id", s.updateUser)
	s.v1(e, http.MethodDelete, "/v1/users/:id", s.deleteUser)
}

func (s *server) createUser(c echo.Context) error {
	var in records.UserInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := s.records().CreateUser(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, userAnswer(u))
}

func (s *server) getUser(c echo.Context) error {
	u, err := s.records().GetUser(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, userAnswer(u))
}

func (s *server) updateUser(c echo.Context) error {
	var in records.UserInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := s.records().UpdateUser(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, userAnswer(u))
}

func (s *server) deleteUser(c echo.Context) error {
	if err := s.records().DeleteUser(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// listUsers lists the account's users, optionally by exact email.
func (s *server) listUsers(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	if v := strings.TrimSpace(c.QueryParam("email")); v != "" {
		q = q.Where("email = ?", strings.ToLower(v))
	}
	var rows []models.User
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.User) string { return m.ID }, userAnswer))
}
