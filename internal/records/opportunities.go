package records

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// OpportunityStatuses are the statuses an opportunity can have.
var OpportunityStatuses = []string{models.OpportunityOpen, models.OpportunityWon, models.OpportunityLost, models.OpportunityAbandoned}

// OpportunityInput is an opportunity as the API receives it; nil fields are
// left alone, so the same type serves create and patch.
type OpportunityInput struct {
	ContactID  *string `json:"contact_id"`
	PipelineID *string `json:"pipeline_id"`
	StageID    *string `json:"stage_id"` // default on create: the pipeline's first stage
	Name       *string `json:"name"`
	Value      *string `json:"value"` // decimal string, major units
	Status     *string `json:"status"`
}

// decimalValue is a non-negative amount in major units with at most four
// decimals, kept as text so that no amount is rounded through a float.
var decimalValue = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,4})?$`)

// GetOpportunity loads an opportunity of the account.
func (s *Service) GetOpportunity(ctx context.Context, accountID, id string) (*models.Opportunity, error) {
	var o models.Opportunity
	if err := first(s.DB.WithContext(ctx), "opportunity", accountID, id, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// CreateOpportunity stores an opportunity and raises opportunity_created.
func (s *Service) CreateOpportunity(ctx context.Context, accountID string, in OpportunityInput) (*models.Opportunity, error) {
	return s.CreateOpportunityWithID(ctx, accountID, models.NewID(), in)
}

// CreateOpportunityWithID is CreateOpportunity with the id chosen by the
// caller (see AddNoteWithID).
func (s *Service) CreateOpportunityWithID(ctx context.Context, accountID, id string, in OpportunityInput) (*models.Opportunity, error) {
	o := &models.Opportunity{ID: id, AccountID: accountID, Value: "0", Status: models.OpportunityOpen}
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		if err := applyOpportunity(tx, in, o, true); err != nil {
			return nil, err
		}
		if err := tx.Create(o).Error; err != nil {
			return nil, fmt.Errorf("creating opportunity: %w", err)
		}
		return []*models.Event{opportunityEvent(o, "opportunity_created", "", "")}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetOpportunity(ctx, accountID, o.ID)
}

// UpdateOpportunity applies a patch. A new stage raises
// pipeline_stage_changed, a new status opportunity_status_changed (both when
// both change); the row is locked, so concurrent patches each report only
// their own change.
func (s *Service) UpdateOpportunity(ctx context.Context, accountID, id string, in OpportunityInput) (*models.Opportunity, error) {
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		var o models.Opportunity
		if err := first(forUpdate(tx), "opportunity", accountID, id, &o); err != nil {
			return nil, err
		}
		prevStage, prevStatus := o.StageID, o.Status
		if err := applyOpportunity(tx, in, &o, false); err != nil {
			return nil, err
		}
		if err := tx.Save(&o).Error; err != nil {
			return nil, fmt.Errorf("updating opportunity %s: %w", id, err)
		}
		var events []*models.Event
		if o.StageID != prevStage {
			events = append(events, opportunityEvent(&o, "pipeline_stage_changed", prevStage, prevStatus))
		}
		if o.Status != prevStatus {
			events = append(events, opportunityEvent(&o, "opportunity_status_changed", prevStage, prevStatus))
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetOpportunity(ctx, accountID, id)
}

// DeleteOpportunity removes an opportunity.
func (s *Service) DeleteOpportunity(ctx context.Context, accountID, id string) error {
	res := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Opportunity{})
	if res.Error != nil {
		return fmt.Errorf("deleting opportunity %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return &NotFoundError{What: "opportunity"}
	}
	return nil
}

// applyOpportunity validates the input onto o. References (contact,
// pipeline, stage) must be the account's; the stage must be one of the
// pipeline's.
func applyOpportunity(tx *gorm.DB, in OpportunityInput, o *models.Opportunity, create bool) error {
	p := validation.NewProblems()
	trim := func(v *string) string { return strings.TrimSpace(*v) }
	if in.ContactID != nil {
		o.ContactID = trim(in.ContactID)
	}
	if o.ContactID == "" {
		p.Add("contact_id", "is required")
	} else if in.ContactID != nil {
		ok, err := contactExists(tx, o.AccountID, o.ContactID)
		if err != nil {
			return err
		}
		if !ok {
			p.Add("contact_id", "no contact %q in this account", o.ContactID)
		}
	}
	if in.Name != nil {
		o.Name = trim(in.Name)
	}
	switch {
	case o.Name == "":
		p.Add("name", "is required")
	case len(o.Name) > 200:
		p.Add("name", "is at most 200 characters")
	}
	if in.Value != nil {
		o.Value = trim(in.Value)
		if !decimalValue.MatchString(o.Value) {
			p.Add("value", "must be a decimal string in major units, e.g. \"1500.00\" (not negative, at most 4 decimals)")
		}
	}
	if in.Status != nil {
		o.Status = strings.ToLower(trim(in.Status))
		if !slices.Contains(OpportunityStatuses, o.Status) {
			p.Add("status", "must be one of %s", strings.Join(OpportunityStatuses, ", "))
		}
	}
	if err := applyStage(tx, p, in, o, create); err != nil {
		return err
	}
	if errs := p.Errors(); errs != nil {
		return errs
	}
	return nil
}

// applyStage sets the pipeline and stage: a stage must belong to the
// pipeline; moving to another pipeline needs a stage of it (the first one
// when none is given on create).
func applyStage(tx *gorm.DB, p *validation.Problems, in OpportunityInput, o *models.Opportunity, create bool) error {
	pipelineChanged := in.PipelineID != nil && strings.TrimSpace(*in.PipelineID) != o.PipelineID
	if in.PipelineID != nil {
		o.PipelineID = strings.TrimSpace(*in.PipelineID)
	}
	if o.PipelineID == "" {
		p.Add("pipeline_id", "is required")
		return nil
	}
	var stages []models.PipelineStage
	if err := tx.Where("account_id = ? AND pipeline_id = ?", o.AccountID, o.PipelineID).Order("position").Find(&stages).Error; err != nil {
		return fmt.Errorf("loading stages of pipeline %s: %w", o.PipelineID, err)
	}
	if len(stages) == 0 { // every pipeline has a stage: none means no such pipeline here
		p.Add("pipeline_id", "no pipeline %q in this account", o.PipelineID)
		return nil
	}
	inPipeline := func(id string) bool {
		return slices.ContainsFunc(stages, func(st models.PipelineStage) bool { return st.ID == id })
	}
	switch {
	case in.StageID != nil && strings.TrimSpace(*in.StageID) != "":
		o.StageID = strings.TrimSpace(*in.StageID)
		if !inPipeline(o.StageID) {
			p.Add("stage_id", "no stage %q in pipeline %s", o.StageID, o.PipelineID)
		}
	case create:
		o.StageID = stages[0].ID
	case pipelineChanged && !inPipeline(o.StageID):
		p.Add("stage_id", "is required when moving the opportunity to another pipeline")
	case in.StageID != nil:
		p.Add("stage_id", "cannot be empty")
	}
	return nil
}

func opportunityEvent(o *models.Opportunity, typ, prevStage, prevStatus string) *models.Event {
	return newEvent(o.AccountID, o.ContactID, typ, map[string]any{
		"opportunity_id": o.ID, "pipeline_id": o.PipelineID, "stage_id": o.StageID, "status": o.Status,
		"previous_stage_id": prevStage, "previous_status": prevStatus, "name": o.Name, "value": o.Value,
	})
}
