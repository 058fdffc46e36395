package models

import "time"

func init() { All = append(All, &User{}) }

// User is a team member of an account: someone contacts are assigned to,
// tasks are given to and internal notifications reach.
type User struct {
	ID        string `gorm:"primaryKey;size:36"`
	AccountID string `gorm:"size:36;not null;index:idx_users_account_email,priority:1"`
	Name      string `gorm:"not null"`
	Email     string `gorm:"not null;default:'';index:idx_users_account_email,priority:2"`
	Phone     string `gorm:"not null;default:''"` // E.164
	CreatedAt time.Time
	UpdatedAt time.Time
}
