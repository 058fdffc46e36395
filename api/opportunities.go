package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// OpportunityAnswer is an opportunity on the wire; value is a decimal string.
type OpportunityAnswer struct {
	ID         string    `json:"id"`
	ContactID  string    `json:"contact_id"`
	PipelineID string    `json:"pipeline_id"`
	StageID    string    `json:"stage_id"`
	Name       string    `json:"name"`
	Value      string    `json:"value"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func opportunityAnswer(o *models.Opportunity) OpportunityAnswer {
	return OpportunityAnswer{ID: o.ID, ContactID: o.ContactID, PipelineID: o.PipelineID, StageID: o.StageID,
		Name: o.Name, Value: o.Value, Status: o.Status, CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
}

func (s *server) opportunityRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/opportunities", s.createOpportunity)
	s.v1(e, http.MethodGet, "/v1/opportunities", s.listOpportunities)
	s.v1(e, http.MethodGet, "/v1/opportunities/:id", s.getOpportunity)
	s.v1(e, http.MethodPatch, "/v1/opportunities/:id", s.updateOpportunity)
	s.v1(e, http.MethodDelete, "/v1/opportunities/:id", s.deleteOpportunity)
}

// createOpportunity fires opportunity_created.
func (s *server) createOpportunity(c echo.Context) error {
	var in records.OpportunityInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	o, err := s.records().CreateOpportunity(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, opportunityAnswer(o))
}

func (s *server) getOpportunity(c echo.Context) error {
	o, err := s.records().GetOpportunity(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, opportunityAnswer(o))
}

// updateOpportunity fires pipeline_stage_changed and/or
// opportunity_status_changed for what the patch changed.
func (s *server) updateOpportunity(c echo.Context) error {
	var in records.OpportunityInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	o, err := s.records().UpdateOpportunity(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, opportunityAnswer(o))
}

func (s *server) deleteOpportunity(c echo.Context) error {
	if err := s.records().DeleteOpportunity(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listOpportunities(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	status := qr.oneOf("status", records.OpportunityStatuses)
	if err := qr.err(); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	q = whereEq(c, q, "contact_id", "pipeline_id", "stage_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []models.Opportunity
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Opportunity) string { return m.ID }, opportunityAnswer))
}
