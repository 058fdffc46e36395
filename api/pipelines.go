package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// PipelineAnswer is a pipeline with its stages, in order.
type PipelineAnswer struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Stages    []StageAnswer `json:"stages"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// StageAnswer is one stage of a pipeline.
type StageAnswer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

func pipelineAnswer(p *models.Pipeline) PipelineAnswer {
	stages := make([]StageAnswer, len(p.Stages))
	for i, st := range p.Stages {
		stages[i] = StageAnswer{ID: st.ID, Name: st.Name, Position: st.Position}
	}
	return PipelineAnswer{ID: p.ID, Name: p.Name, Stages: stages, CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt)}
}

func (s *server) pipelineRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/pipelines", s.createPipeline)
	s.v1(e, http.MethodGet, "/v1/pipelines", s.listPipelines)
	s.v1(e, http.MethodGet, "/v1/pipelines/:id", s.getPipeline)
	s.v1(e, http.MethodPatch, "/v1/pipelines/:id", s.updatePipeline)
	s.v1(e, http.MethodDelete, "/v1/pipelines/:id", s.deletePipeline)
}

func (s *server) createPipeline(c echo.Context) error {
	var in records.PipelineInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := s.records().CreatePipeline(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, pipelineAnswer(p))
}

func (s *server) getPipeline(c echo.Context) error {
	p, err := s.records().GetPipeline(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, pipelineAnswer(p))
}

// updatePipeline renames and/or replaces the stage list (see PipelineInput).
func (s *server) updatePipeline(c echo.Context) error {
	var in records.PipelineInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := s.records().UpdatePipeline(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, pipelineAnswer(p))
}

func (s *server) deletePipeline(c echo.Context) error {
	if err := s.records().DeletePipeline(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listPipelines(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	var rows []models.Pipeline
	if err := p.apply(q).Preload("Stages", func(tx *gorm.DB) *gorm.DB { return tx.Order("position") }).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Pipeline) string { return m.ID }, pipelineAnswer))
}
