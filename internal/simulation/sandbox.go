package simulation

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
)

// openSandbox makes a private in-memory database holding a copy of what a
// run of the contact reads: the account and its users, pipelines and custom
// values, the contact with its tags, appointments and opportunities. Steps
// then change the copy (tags added, fields updated, notes written), never the
// real data, and later steps see those changes as they would in a real run.
func openSandbox(ctx context.Context, src *gorm.DB, accountID, contactID, workflowID string) (*gorm.DB, func(), error) {
	db, err := models.Open(ctx, ":memory:")
	if err != nil {
		return nil, nil, fmt.Errorf("opening the simulation's database: %w", err)
	}
	closeDB := func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}
	if err := models.Migrate(ctx, db); err != nil {
		closeDB()
		return nil, nil, err
	}
	src = src.WithContext(ctx)
	dst := db.WithContext(ctx)
	// In dependency order: the sandbox enforces foreign keys too.
	copies := []func() error{
		func() error { return copyRows[models.Account](src, dst, "id = ?", accountID) },
		func() error { return copyRows[models.User](src, dst, "account_id = ?", accountID) },
		func() error { return copyRows[models.Pipeline](src, dst, "account_id = ?", accountID) },
		func() error { return copyRows[models.PipelineStage](src, dst, "account_id = ?", accountID) },
		func() error { return copyRows[models.CustomValue](src, dst, "account_id = ?", accountID) },
		func() error {
			return copyRows[models.Workflow](src, dst, "account_id = ? AND id = ?", accountID, workflowID)
		},
		func() error {
			return copyRows[models.Contact](src, dst, "account_id = ? AND id = ?", accountID, contactID)
		},
		func() error {
			return copyRows[models.ContactTag](src, dst, "account_id = ? AND contact_id = ?", accountID, contactID)
		},
		func() error {
			return copyRows[models.Appointment](src, dst, "account_id = ? AND contact_id = ?", accountID, contactID)
		},
		func() error {
			return copyRows[models.Opportunity](src, dst, "account_id = ? AND contact_id = ?", accountID, contactID)
		},
	}
	for _, copyTable := range copies {
		if err := copyTable(); err != nil {
			closeDB()
			return nil, nil, err
		}
	}
	return db, closeDB, nil
}

// copyRows copies the rows of one table that match where.
func copyRows[T any](src, dst *gorm.DB, where string, args ...any) error {
	var rows []T
	if err := src.Where(where, args...).Find(&rows).Error; err != nil {
		return fmt.Errorf("reading %T for the simulation: %w", rows, err)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := dst.Omit(clause.Associations).CreateInBatches(rows, 200).Error; err != nil {
		return fmt.Errorf("copying %T into the simulation: %w", rows, err)
	}
	return nil
}
