package definitions

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// Errors of reading published versions.
var (
	ErrVersionNotFound = errors.New("workflow version not found")
	// ErrVersionCursor is a cursor that names no version of the workflow.
	ErrVersionCursor = errors.New("cursor names no version of this workflow")
)

// Versions lists the workflow's published versions, newest first: at most
// limit of them, after the version whose row id is afterID ("" starts at
// the latest). Versions outlive their workflow (enrollments still run
// them), so a deleted workflow's versions stay readable; ErrNotFound only
// when the account has neither the workflow nor any version of it.
func (s *Service) Versions(ctx context.Context, accountID, workflowID, afterID string, limit int) ([]models.WorkflowVersion, error) {
	db := s.DB.WithContext(ctx)
	q := db.Where("account_id = ? AND workflow_id = ?", accountID, workflowID)
	if afterID != "" {
		var after models.WorkflowVersion
		err := db.Select("version").Where("account_id = ? AND workflow_id = ? AND id = ?", accountID, workflowID, afterID).
			First(&after).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrVersionCursor
		}
		if err != nil {
			return nil, fmt.Errorf("reading the cursor's version: %w", err)
		}
		q = q.Where("version < ?", after.Version)
	}
	var rows []models.WorkflowVersion
	// Ordered by version, not id: ids from several servers' clocks need not
	// sort like the versions a transaction numbered.
	if err := q.Omit("definition").Order("version DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing versions of workflow %s: %w", workflowID, err)
	}
	if len(rows) == 0 && afterID == "" {
		if _, err := s.Get(ctx, accountID, workflowID); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// Version loads one published version of the account's workflow, the
// definition exactly as it was published. ErrVersionNotFound for a number
// the workflow never published, ErrNotFound for an unknown workflow.
func (s *Service) Version(ctx context.Context, accountID, workflowID string, version int) (*models.WorkflowVersion, error) {
	var v models.WorkflowVersion
	err := s.DB.WithContext(ctx).Where("account_id = ? AND workflow_id = ? AND version = ?", accountID, workflowID, version).
		First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if exists, err := s.versioned(ctx, accountID, workflowID); err != nil {
			return nil, err
		} else if !exists {
			return nil, ErrNotFound
		}
		return nil, ErrVersionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading version %d of workflow %s: %w", version, workflowID, err)
	}
	return &v, nil
}

// versioned tells whether the account has the workflow or, once it was
// deleted, any version of it.
func (s *Service) versioned(ctx context.Context, accountID, workflowID string) (bool, error) {
	_, err := s.Get(ctx, accountID, workflowID)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&models.WorkflowVersion{}).Where("account_id = ? AND workflow_id = ?", accountID, workflowID).
		Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("looking for versions of workflow %s: %w", workflowID, err)
	}
	return len(ids) > 0, nil
}
