package definitions

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Scheduler keeps the Temporal Schedules of scheduled triggers (reminders,
// the scheduler trigger) in step with what is published; internal/schedules
// implements it. Its calls run inside the publish, draft or delete
// transaction, before the commit: if Temporal refuses, nothing is saved and
// the request fails (ErrScheduling), so a workflow is never published
// without its schedules, nor drafted with them still firing.
type Scheduler interface {
	// Publish creates or updates a schedule per scheduled trigger of def
	// and deletes those of the previous version's triggers that are gone.
	// A fault of the definition (a "once" time in the past) is validation.Errors.
	Publish(ctx context.Context, tx *gorm.DB, wf *models.Workflow, def *definition.Definition, version int, previous []models.PublishedTrigger) error
	// Unpublish deletes the workflow's schedules.
	Unpublish(ctx context.Context, workflowID string, previous []models.PublishedTrigger) error
}

// ErrScheduling is a publish, draft or delete that Temporal's schedules refused.
var ErrScheduling = errors.New("the workflow's schedules could not be changed in Temporal, so nothing was saved; try again")

// publishedTriggers are the trigger rows of the version published so far.
func publishedTriggers(tx *gorm.DB, workflowID string) ([]models.PublishedTrigger, error) {
	var rows []models.PublishedTrigger
	if err := tx.Where("workflow_id = ?", workflowID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading published triggers: %w", err)
	}
	return rows, nil
}

// schedulesPublish hands a publish to the Scheduler when the new or the
// previous version has scheduled triggers (others never touch Temporal).
func (s *Service) schedulesPublish(ctx context.Context, tx *gorm.DB, wf *models.Workflow, def *definition.Definition, version int, previous []models.PublishedTrigger) error {
	if s.Schedules == nil || (!anyScheduled(previous) && !defScheduled(def)) {
		return nil
	}
	err := s.Schedules.Publish(ctx, tx, wf, def, version, previous)
	var verrs validation.Errors
	if err == nil || errors.As(err, &verrs) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrScheduling, err)
}

// schedulesUnpublish deletes the schedules of a workflow being drafted or deleted.
func (s *Service) schedulesUnpublish(ctx context.Context, tx *gorm.DB, workflowID string) error {
	if s.Schedules == nil {
		return nil
	}
	previous, err := publishedTriggers(tx, workflowID)
	if err != nil || !anyScheduled(previous) {
		return err
	}
	if err := s.Schedules.Unpublish(ctx, workflowID, previous); err != nil {
		return fmt.Errorf("%w: %w", ErrScheduling, err)
	}
	return nil
}

func anyScheduled(rows []models.PublishedTrigger) bool {
	for _, r := range rows {
		if triggers.IsScheduled(r.Type) {
			return true
		}
	}
	return false
}

func defScheduled(def *definition.Definition) bool {
	for _, t := range def.Triggers {
		if triggers.IsScheduled(t.Type) {
			return true
		}
	}
	return false
}
