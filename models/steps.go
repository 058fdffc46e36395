package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CloseOpenSteps finishes the execution-log rows that an ended enrollment
// left running or waiting (a removal during a wait), as skipped with the
// reason, so no step of a finished enrollment looks in progress.
func CloseOpenSteps(tx *gorm.DB, enrollmentID, reason string, at time.Time) error {
	err := tx.Model(&StepExecution{}).
		Where("enrollment_id = ? AND status IN ?", enrollmentID, []string{StepRunning, StepWaiting}).
		Updates(&StepExecution{Status: StepSkipped, FinishedAt: &at, Output: map[string]any{"reason": reason}}).Error
	if err != nil {
		return fmt.Errorf("closing open steps of enrollment %s: %w", enrollmentID, err)
	}
	return nil
}
