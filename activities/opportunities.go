package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
)

// opportunityPaths names the records service's input paths as the
// opportunity steps' config paths.
var opportunityPaths = map[string]string{
	"pipeline_id": "config.pipeline_id", "stage_id": "config.stage_id", "name": "config.name",
	"value": "config.value", "status": "config.status", "contact_id": "the enrolled contact",
}

// optional is nil for "" (leave the field alone), else a pointer to s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func opportunityOf(o *models.Opportunity) steps.Opportunity {
	return steps.Opportunity{ID: o.ID, PipelineID: o.PipelineID, StageID: o.StageID, Name: o.Name, Value: o.Value, Status: o.Status}
}

// CreateOpportunity opens an opportunity for the enrolled contact through
// the records service (opportunity_created fires), named after the contact
// unless the step names it. Its id comes from the idempotency key, so a
// retry returns the opportunity its first attempt made.
func (a *Activities) CreateOpportunity(ctx context.Context, call *steps.Call, f steps.OpportunityFields) (steps.Opportunity, error) {
	id := recordID(call, "opportunity")
	if o, err := a.opts.Records.GetOpportunity(ctx, call.AccountID, id); err == nil {
		return opportunityOf(o), nil
	} else if !records.IsNotFound(err) {
		return steps.Opportunity{}, err
	}
	if f.Name == "" {
		c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
		if err != nil {
			return steps.Opportunity{}, contactError(err)
		}
		if f.Name = c.DisplayName(); f.Name == "" {
			f.Name = "Opportunity"
		}
	}
	contact := call.ContactID
	o, err := a.opts.Records.CreateOpportunityWithID(ctx, call.AccountID, id, records.OpportunityInput{
		ContactID: &contact, PipelineID: &f.PipelineID, StageID: optional(f.StageID), Name: &f.Name,
		Value: optional(f.Value), Status: optional(f.Status),
	})
	if duplicate(err) {
		o, err = a.opts.Records.GetOpportunity(ctx, call.AccountID, id)
	}
	if err != nil {
		return steps.Opportunity{}, recordError(err, opportunityPaths)
	}
	return opportunityOf(o), nil
}

// UpdateOpportunity changes the enrolled contact's latest open opportunity
// in the pipeline. The ledger remembers which one before the change: a
// retry after the first attempt closed it (status won) changes that same
// opportunity again rather than looking for another open one.
func (a *Activities) UpdateOpportunity(ctx context.Context, call *steps.Call, f steps.OpportunityFields) (steps.Opportunity, bool, error) {
	if err := a.pipelineExists(ctx, call.AccountID, f.PipelineID); err != nil {
		return steps.Opportunity{}, false, err
	}
	id, err := a.effectOf(ctx, call, "opportunity_updated")
	if err != nil {
		return steps.Opportunity{}, false, err
	}
	if id == "" {
		var latest models.Opportunity
		err := a.opts.DB.WithContext(ctx).Select("id").
			Where("account_id = ? AND contact_id = ? AND pipeline_id = ? AND status = ?", call.AccountID, call.ContactID, f.PipelineID, models.OpportunityOpen).
			Order("created_at DESC, id DESC").Limit(1).Find(&latest).Error
		if err != nil {
			return steps.Opportunity{}, false, fmt.Errorf("finding the contact's open opportunity: %w", err)
		}
		if latest.ID == "" {
			return steps.Opportunity{}, false, nil
		}
		if id, err = a.remember(ctx, call, "opportunity_updated", latest.ID); err != nil {
			return steps.Opportunity{}, false, err
		}
	}
	o, err := a.opts.Records.UpdateOpportunity(ctx, call.AccountID, id, records.OpportunityInput{
		StageID: optional(f.StageID), Name: optional(f.Name), Value: optional(f.Value), Status: optional(f.Status),
	})
	if records.IsNotFound(err) { // deleted since it was chosen
		return steps.Opportunity{}, false, nil
	}
	if err != nil {
		return steps.Opportunity{}, false, recordError(err, opportunityPaths)
	}
	return opportunityOf(o), true, nil
}

// RemoveOpportunities deletes the enrolled contact's opportunities in the
// pipeline ("" for every pipeline). Deleting is its own idempotency: a retry
// finds fewer (or none) left to delete.
func (a *Activities) RemoveOpportunities(ctx context.Context, call *steps.Call, pipelineID string) ([]string, error) {
	q := a.opts.DB.WithContext(ctx).Model(&models.Opportunity{}).Where("account_id = ? AND contact_id = ?", call.AccountID, call.ContactID)
	if pipelineID != "" {
		if err := a.pipelineExists(ctx, call.AccountID, pipelineID); err != nil {
			return nil, err
		}
		q = q.Where("pipeline_id = ?", pipelineID)
	}
	var ids []string
	if err := q.Order("created_at, id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("finding the contact's opportunities: %w", err)
	}
	removed := []string{}
	for _, id := range ids {
		err := a.opts.Records.DeleteOpportunity(ctx, call.AccountID, id)
		switch {
		case err == nil:
			removed = append(removed, id)
		case records.IsNotFound(err): // removed meanwhile
		default:
			return nil, err
		}
	}
	return removed, nil
}

// pipelineExists fails the step at once for a pipeline the account does
// not have (deleted since the workflow was saved, or a typo in a template).
func (a *Activities) pipelineExists(ctx context.Context, accountID, id string) error {
	_, err := a.opts.Records.GetPipeline(ctx, accountID, id)
	var nf *records.NotFoundError
	if errors.As(err, &nf) {
		return permanent("config.pipeline_id: no pipeline %q in this account", id)
	}
	return err
}
