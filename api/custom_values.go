package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/customvalues"
	"github.com/crmflow/crmflow/models"
)

// CustomValueAnswer is an account-wide custom value. Template is what to
// write in a step to read it.
type CustomValueAnswer struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	Template  string    `json:"template"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func customValueAnswer(v *models.CustomValue) CustomValueAnswer {
	return CustomValueAnswer{ID: v.ID, Key: v.Key, Value: v.Value, Template: customvalues.Template(v.Key),
		CreatedAt: utc(v.CreatedAt), UpdatedAt: utc(v.UpdatedAt)}
}

// customValueRoutes registers /v1/custom-values. Values are addressed by
// key, the name templates use ({{custom_values.<key>}}).
func (s *server) customValueRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/custom-values", s.createCustomValue)
	s.v1(e, http.MethodGet, "/v1/custom-values", s.listCustomValues)
	s.v1(e, http.MethodGet, "/v1/custom-values/:key", s.getCustomValue)
	s.v1(e, http.MethodPatch, "/v1/custom-values/:key", s.updateCustomValue)
	s.v1(e, http.MethodDelete, "/v1/custom-values/:key", s.deleteCustomValue)
}

func (s *server) customValues() *customvalues.Service { return &customvalues.Service{DB: s.db} }

func customValueProblem(err error) error {
	switch {
	case errors.Is(err, customvalues.ErrNotFound):
		return notFound("custom value")
	case errors.Is(err, customvalues.ErrExists):
		return typed(http.StatusConflict, typeConflict, "Key already exists",
			"the account already has a custom value with this key; change it with PATCH /v1/custom-values/{key}")
	}
	return err
}

func (s *server) createCustomValue(c echo.Context) error {
	var in customvalues.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := s.customValues().Create(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return customValueProblem(err)
	}
	return c.JSON(http.StatusCreated, customValueAnswer(v))
}

func (s *server) getCustomValue(c echo.Context) error {
	v, err := s.customValues().Get(c.Request().Context(), account(c).ID, param(c, "key"))
	if err != nil {
		return customValueProblem(err)
	}
	return c.JSON(http.StatusOK, customValueAnswer(v))
}

func (s *server) updateCustomValue(c echo.Context) error {
	var in customvalues.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := s.customValues().Update(c.Request().Context(), account(c).ID, param(c, "key"), in)
	if err != nil {
		return customValueProblem(err)
	}
	return c.JSON(http.StatusOK, customValueAnswer(v))
}

// deleteCustomValue removes a key; templates naming it render empty text.
func (s *server) deleteCustomValue(c echo.Context) error {
	if err := s.customValues().Delete(c.Request().Context(), account(c).ID, param(c, "key")); err != nil {
		return customValueProblem(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listCustomValues(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	var rows []models.CustomValue
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(v *models.CustomValue) string { return v.ID }, customValueAnswer))
}
