// Package definitions stores workflow definitions: saving (validated, never
// half-saved), publishing as immutable versions with their triggers indexed
// for routing, and returning to draft.
package definitions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/check"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// Errors the API turns into answers.
var (
	ErrNotFound = errors.New("workflow not found")
	// ErrConcurrentPublish is a publish that lost a race with another one.
	ErrConcurrentPublish = errors.New("the workflow was published concurrently; try again")
)

// Service stores workflows.
type Service struct {
	DB *gorm.DB
	// Schedules keeps scheduled triggers' Temporal Schedules; nil leaves
	// them alone (tests of other concerns).
	Schedules Scheduler
}

// Create validates and stores a new workflow as a draft. Validation faults
// come back as validation.Errors.
func (s *Service) Create(ctx context.Context, accountID string, raw []byte) (*models.Workflow, *definition.Definition, error) {
	def, body, err := parse(raw)
	if err != nil {
		return nil, nil, err
	}
	wf := &models.Workflow{ID: models.NewID(), AccountID: accountID, Name: def.Name, Status: models.WorkflowDraft, Definition: body}
	if err := s.DB.WithContext(ctx).Create(wf).Error; err != nil {
		return nil, nil, fmt.Errorf("saving workflow: %w", err)
	}
	return wf, def, nil
}

// Update replaces the workflow's current definition. A published workflow
// keeps running its published version until it is published again.
func (s *Service) Update(ctx context.Context, accountID, id string, raw []byte) (*models.Workflow, *definition.Definition, error) {
	def, body, err := parse(raw)
	if err != nil {
		return nil, nil, err
	}
	wf, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, nil, err
	}
	wf.Name, wf.Definition, wf.UpdatedAt = def.Name, body, time.Now().UTC()
	if wf.Version > 0 {
		var v models.WorkflowVersion
		if err := s.DB.WithContext(ctx).Where("workflow_id = ? AND version = ?", wf.ID, wf.Version).First(&v).Error; err != nil {
			return nil, nil, fmt.Errorf("loading published version: %w", err)
		}
		wf.UnpublishedChanges = !bytes.Equal(v.Definition, body)
	}
	if err := s.DB.WithContext(ctx).Model(wf).Updates(map[string]any{"name": wf.Name, "definition": body,
		"updated_at": wf.UpdatedAt, "unpublished_changes": wf.UnpublishedChanges}).Error; err != nil {
		return nil, nil, fmt.Errorf("saving workflow: %w", err)
	}
	return wf, def, nil
}

// parse validates a definition and encodes it as it will be stored
// (normalised: unknown fields were refused, defaults made explicit).
func parse(raw []byte) (*definition.Definition, []byte, error) {
	def, errs := check.Parse(raw)
	if errs != nil {
		return nil, nil, errs
	}
	body, err := json.Marshal(def)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding definition: %w", err)
	}
	return def, body, nil
}

// Get loads a workflow of the account.
func (s *Service) Get(ctx context.Context, accountID, id string) (*models.Workflow, error) {
	return s.getIn(s.DB.WithContext(ctx), accountID, id)
}

func (s *Service) getIn(tx *gorm.DB, accountID, id string) (*models.Workflow, error) {
	var wf models.Workflow
	err := tx.Where("account_id = ? AND id = ?", accountID, id).First(&wf).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading workflow: %w", err)
	}
	return &wf, nil
}

// Decode returns the workflow's current definition.
func Decode(wf *models.Workflow) (*definition.Definition, error) {
	var def definition.Definition
	if err := json.Unmarshal(wf.Definition, &def); err != nil {
		return nil, fmt.Errorf("reading definition of workflow %s: %w", wf.ID, err)
	}
	return &def, nil
}

// Delete removes the workflow and stops it firing. Published versions stay,
// so enrollments already running finish on the version they started on.
// A workflow that other published workflows add contacts to or remove them
// from is refused with an *InUseError (drafts do not count).
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.getIn(tx, accountID, id); err != nil {
			return err
		}
		names := Naming(steps.RefWorkflow, id)
		if err := RefuseInUse(tx, accountID, "the workflow", "", func(l *Live) bool { return l.WorkflowID != id && names(l) }); err != nil {
			return err
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Workflow{})
		if res.Error != nil {
			return fmt.Errorf("deleting workflow: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := s.schedulesUnpublish(ctx, tx, id); err != nil {
			return err
		}
		return tx.Where("workflow_id = ?", id).Delete(&models.PublishedTrigger{}).Error
	})
}

// Publish validates the current definition again and freezes it as the next
// immutable version; its triggers replace the previous version's in the
// routing index, in one transaction.
func (s *Service) Publish(ctx context.Context, accountID, id string) (*models.Workflow, error) {
	var out *models.Workflow
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var wf models.Workflow
		if err := tx.Where("account_id = ? AND id = ?", accountID, id).First(&wf).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		def, errs := check.Parse(wf.Definition)
		if errs != nil {
			return errs
		}
		linkErrs, err := checkReferences(tx, accountID, def)
		if err != nil {
			return err
		}
		stepErrs, err := checkStepReferences(tx, accountID, id, def)
		if err != nil {
			return err
		}
		if errs := append(linkErrs, stepErrs...); errs != nil {
			return errs
		}
		now := time.Now().UTC()
		v := models.WorkflowVersion{ID: models.NewID(), AccountID: accountID, WorkflowID: id, Version: wf.Version + 1,
			Definition: wf.Definition, PublishedAt: now}
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("saving version %d: %w", v.Version, err)
		}
		previous, err := publishedTriggers(tx, id)
		if err != nil {
			return err
		}
		if err := indexTriggers(tx, &wf, def, v.Version); err != nil {
			return err
		}
		res := tx.Model(&models.Workflow{}).Where("id = ? AND version = ?", id, wf.Version).
			Updates(map[string]any{"status": models.WorkflowPublished, "version": v.Version, "updated_at": now, "unpublished_changes": false})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConcurrentPublish
		}
		// Last, so that nothing else can fail after the schedules changed.
		if err := s.schedulesPublish(ctx, tx, &wf, def, v.Version, previous); err != nil {
			return err
		}
		wf.Status, wf.Version, wf.UpdatedAt, wf.UnpublishedChanges = models.WorkflowPublished, v.Version, now, false
		out = &wf
		return nil
	})
	return out, err
}

// Draft stops new enrollments; running ones go on.
func (s *Service) Draft(ctx context.Context, accountID, id string) (*models.Workflow, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.Workflow{}).Where("account_id = ? AND id = ?", accountID, id).
			Updates(map[string]any{"status": models.WorkflowDraft, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := s.schedulesUnpublish(ctx, tx, id); err != nil {
			return err
		}
		return tx.Where("workflow_id = ?", id).Delete(&models.PublishedTrigger{}).Error
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, accountID, id)
}

func indexTriggers(tx *gorm.DB, wf *models.Workflow, def *definition.Definition, version int) error {
	if err := tx.Where("workflow_id = ?", wf.ID).Delete(&models.PublishedTrigger{}).Error; err != nil {
		return fmt.Errorf("clearing trigger index: %w", err)
	}
	for _, t := range def.Triggers {
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		row := models.PublishedTrigger{ID: models.NewID(), AccountID: wf.AccountID, Type: t.Type, WorkflowID: wf.ID,
			Version: version, TriggerID: t.ID, Definition: body, MatchKey: condition.IndexKey(t.Filters)}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("indexing trigger %s: %w", t.ID, err)
		}
	}
	return nil
}
