package models

import "time"

func init() { All = append(All, &CustomValue{}) }

// CustomValue is an account-wide value builders reuse in every workflow as
// {{custom_values.<key>}} (the office phone, this month's offer), set
// through /v1/custom-values or by an update_custom_value step.
type CustomValue struct {
	ID        string `gorm:"primaryKey;size:36"`
	AccountID string `gorm:"size:36;not null;uniqueIndex:idx_custom_values_account_key,priority:1"`
	Key       string `gorm:"size:64;not null;uniqueIndex:idx_custom_values_account_key,priority:2"`
	Value     string `gorm:"type:text;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}
