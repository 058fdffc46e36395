package models

import "time"

func init() { All = append(All, &Task{}) }

// Task is a to-do about a contact, maybe assigned to a user. CompletedAt is
// set when it was completed, so "completed" events are raised on the change
// only.
type Task struct {
	ID          string   `gorm:"primaryKey;size:36"`
	AccountID   string   `gorm:"size:36;not null;index"`
	ContactID   string   `gorm:"size:36;not null;index"`
	Contact     *Contact `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	Title       string   `gorm:"not null"`
	Body        string   `gorm:"type:text;not null;default:''"`
	AssigneeID  *string  `gorm:"size:36;index"`
	Assignee    *User    `gorm:"foreignKey:AssigneeID;constraint:OnDelete:SET NULL"`
	DueAt       *time.Time
	Completed   bool `gorm:"not null;default:false"`
	CompletedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
