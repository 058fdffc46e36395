package models

import "time"

func init() { All = append(All, &StepEffect{}, &AssignmentCounter{}) }

// StepEffect remembers which record a record step chose for one
// (enrollment, step, visit), written before the change: a retried activity
// reads it and changes the same record again (the opportunity it updated,
// the user it assigned, the contact it deleted) instead of choosing anew.
// Steps that create records need no row here: they derive the new record's
// id from the same key, so a retry finds the record it made.
type StepEffect struct {
	IdempotencyKey string `gorm:"primaryKey;size:255"` // enrollment/step/visit
	AccountID      string `gorm:"size:36;not null;index"`
	Kind           string `gorm:"size:64;not null"` // what the step did: opportunity_updated, user_assigned, contact_deleted
	RecordID       string `gorm:"size:36;not null"`
	CreatedAt      time.Time
}

// AssignmentCounter counts the assignments an assign_user step made in
// round-robin mode, per (workflow, step): the next contact goes to the next
// user, whichever enrollment, worker or version runs the step.
type AssignmentCounter struct {
	WorkflowID string `gorm:"primaryKey;size:36"`
	StepID     string `gorm:"primaryKey;size:64"`
	AccountID  string `gorm:"size:36;not null;index"`
	Turns      int64  `gorm:"not null;default:0"` // assignments made so far
	UpdatedAt  time.Time
}
