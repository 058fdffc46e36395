package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// All lists every model, in dependency order, for migrations. A model in a
// file of its own adds itself from that file's init.
var All = []any{
	&Account{}, &APIKey{}, &Contact{}, &ContactTag{}, &Workflow{}, &WorkflowVersion{},
	&PublishedTrigger{}, &Enrollment{}, &StepExecution{}, &Event{}, &Message{}, &IdempotencyRecord{},
}

// Migrate brings the schema up to date. It only adds tables, columns and
// indexes, so it is safe to run on every start and from `crmflow migrate`.
func Migrate(ctx context.Context, db *gorm.DB) error {
	if err := db.WithContext(ctx).AutoMigrate(All...); err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	return nil
}
