package records

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// PipelineInput is a pipeline as the API receives it. Stages, when given,
// become exactly that ordered list: a stage with an id keeps its identity
// (renamed or moved), one without is new, and a stage left out is removed,
// which is refused while opportunities sit in it.
type PipelineInput struct {
	Name   *string       `json:"name"`
	Stages *[]StageInput `json:"stages"`
}

// StageInput is one stage of a pipeline input.
type StageInput struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
}

// GetPipeline loads a pipeline of the account with its stages in order.
func (s *Service) GetPipeline(ctx context.Context, accountID, id string) (*models.Pipeline, error) {
	return getPipeline(s.DB.WithContext(ctx), accountID, id)
}

func getPipeline(tx *gorm.DB, accountID, id string) (*models.Pipeline, error) {
	var p models.Pipeline
	if err := first(tx.Preload("Stages", orderedStages), "pipeline", accountID, id, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// orderedStages preloads stages in their order.
func orderedStages(tx *gorm.DB) *gorm.DB { return tx.Order("position") }

// CreatePipeline stores a pipeline with at least one stage.
func (s *Service) CreatePipeline(ctx context.Context, accountID string, in PipelineInput) (*models.Pipeline, error) {
	pl := &models.Pipeline{ID: models.NewID(), AccountID: accountID}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p := validation.NewProblems()
		applyPipelineName(p, in, pl)
		if in.Stages == nil {
			p.Add("stages", "is required: a list of at least one stage")
		}
		var keep []models.PipelineStage
		if in.Stages != nil {
			keep = planStages(p, pl, nil, *in.Stages)
		}
		if errs := p.Errors(); errs != nil {
			return errs
		}
		if err := tx.Omit("Stages").Create(pl).Error; err != nil {
			return fmt.Errorf("creating pipeline: %w", err)
		}
		return saveStages(tx, keep)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPipeline(ctx, accountID, pl.ID)
}

// UpdatePipeline renames a pipeline and/or replaces its stages.
func (s *Service) UpdatePipeline(ctx context.Context, accountID, id string, in PipelineInput) (*models.Pipeline, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		pl, err := getPipeline(forUpdate(tx), accountID, id)
		if err != nil {
			return err
		}
		p := validation.NewProblems()
		applyPipelineName(p, in, pl)
		var keep []models.PipelineStage
		if in.Stages != nil {
			keep = planStages(p, pl, pl.Stages, *in.Stages)
		}
		if errs := p.Errors(); errs != nil {
			return errs
		}
		if err := tx.Model(&models.Pipeline{}).Where("id = ?", pl.ID).Update("name", pl.Name).Error; err != nil {
			return fmt.Errorf("updating pipeline %s: %w", id, err)
		}
		if in.Stages == nil {
			return nil
		}
		kept := map[string]bool{}
		for _, st := range keep {
			kept[st.ID] = true
		}
		for _, old := range pl.Stages {
			if kept[old.ID] {
				continue
			}
			if err := removeStage(tx, &old); err != nil {
				return err
			}
		}
		return saveStages(tx, keep)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPipeline(ctx, accountID, id)
}

// DeletePipeline removes a pipeline with its stages; refused while it holds
// opportunities (move or delete them first), so none is left in no stage.
func (s *Service) DeletePipeline(ctx context.Context, accountID, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var pl models.Pipeline
		if err := first(forUpdate(tx), "pipeline", accountID, id, &pl); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&models.Opportunity{}).Where("pipeline_id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("counting opportunities of pipeline %s: %w", id, err)
		}
		if n > 0 {
			return &ConflictError{Path: "", Message: fmt.Sprintf("the pipeline holds %s; move or delete them first", opportunities(n))}
		}
		var stages []string
		if err := tx.Model(&models.PipelineStage{}).Where("pipeline_id = ?", id).Pluck("id", &stages).Error; err != nil {
			return fmt.Errorf("loading stages of pipeline %s: %w", id, err)
		}
		pipeline, stage := definitions.Naming(steps.RefPipeline, id), definitions.Naming(steps.RefStage, stages...)
		if err := definitions.RefuseInUse(tx, accountID, fmt.Sprintf("the pipeline %q", pl.Name), "",
			func(l *definitions.Live) bool { return pipeline(l) || stage(l) }); err != nil {
			return err
		}
		if err := tx.Where("pipeline_id = ?", id).Delete(&models.PipelineStage{}).Error; err != nil {
			return fmt.Errorf("deleting stages of pipeline %s: %w", id, err)
		}
		if err := tx.Delete(&pl).Error; err != nil {
			return fmt.Errorf("deleting pipeline %s: %w", id, err)
		}
		return nil
	})
}

func applyPipelineName(p *validation.Problems, in PipelineInput, pl *models.Pipeline) {
	if in.Name != nil {
		pl.Name = strings.TrimSpace(*in.Name)
	}
	switch {
	case pl.Name == "":
		p.Add("name", "is required")
	case len(pl.Name) > 200:
		p.Add("name", "is at most 200 characters")
	}
}

// planStages checks the wanted stage list against the current stages and
// returns the stages to keep, numbered in the wanted order.
func planStages(p *validation.Problems, pl *models.Pipeline, current []models.PipelineStage, want []StageInput) []models.PipelineStage {
	if len(want) == 0 {
		p.Add("stages", "a pipeline needs at least one stage")
		return nil
	}
	if len(want) > 100 {
		p.Add("stages", "a pipeline has at most 100 stages")
		return nil
	}
	existing := map[string]bool{}
	for _, st := range current {
		existing[st.ID] = true
	}
	seenID, seenName := map[string]bool{}, map[string]bool{}
	out := make([]models.PipelineStage, 0, len(want))
	for i, w := range want {
		sp := p.At(fmt.Sprintf("stages[%d]", i))
		st := models.PipelineStage{AccountID: pl.AccountID, PipelineID: pl.ID, Position: i}
		if w.Name != nil {
			st.Name = strings.TrimSpace(*w.Name)
		}
		switch key := strings.ToLower(st.Name); {
		case st.Name == "":
			sp.Add("name", "is required")
		case len(st.Name) > 200:
			sp.Add("name", "is at most 200 characters")
		case seenName[key]:
			sp.Add("name", "another stage of this pipeline is named %q", st.Name)
		default:
			seenName[key] = true
		}
		id := ""
		if w.ID != nil {
			id = strings.TrimSpace(*w.ID)
		}
		switch {
		case id == "":
			st.ID = models.NewID()
		case !existing[id]:
			sp.Add("id", "no stage %q in this pipeline; omit id to add a stage", id)
		case seenID[id]:
			sp.Add("id", "stage %q is listed twice", id)
		default:
			st.ID = id
			seenID[id] = true
		}
		out = append(out, st)
	}
	return out
}

// saveStages writes the kept stages: new ones inserted, the others updated.
func saveStages(tx *gorm.DB, stages []models.PipelineStage) error {
	for i := range stages {
		if err := tx.Save(&stages[i]).Error; err != nil {
			return fmt.Errorf("saving stage %q: %w", stages[i].Name, err)
		}
	}
	return nil
}

// removeStage deletes a stage no longer listed, unless opportunities sit in
// it or published workflows name it (a *definitions.InUseError).
func removeStage(tx *gorm.DB, st *models.PipelineStage) error {
	var n int64
	if err := tx.Model(&models.Opportunity{}).Where("stage_id = ?", st.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("counting opportunities in stage %s: %w", st.ID, err)
	}
	if n > 0 {
		return &ConflictError{Path: "stages", Message: fmt.Sprintf(
			"stage %q (%s) holds %s: keep it in the list, or move them to another stage first", st.Name, st.ID, opportunities(n))}
	}
	if err := definitions.RefuseInUse(tx, st.AccountID, fmt.Sprintf("the stage %q (%s)", st.Name, st.ID), "stages",
		definitions.Naming(steps.RefStage, st.ID)); err != nil {
		return err
	}
	if err := tx.Delete(st).Error; err != nil {
		return fmt.Errorf("deleting stage %s: %w", st.ID, err)
	}
	return nil
}

// opportunities says how many: "1 opportunity", "3 opportunities".
func opportunities(n int64) string {
	if n == 1 {
		return "1 opportunity"
	}
	return fmt.Sprintf("%d opportunities", n)
}
