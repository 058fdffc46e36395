package models

import "time"

func init() { All = append(All, &Opportunity{}) }

// Opportunity statuses.
const (
	OpportunityOpen      = "open"
	OpportunityWon       = "won"
	OpportunityLost      = "lost"
	OpportunityAbandoned = "abandoned"
)

// Opportunity is a possible sale to a contact, sitting in one stage of one
// pipeline. Value is a decimal string in major units ("1500.00"), so no
// amount is ever rounded through a float.
type Opportunity struct {
	ID         string   `gorm:"primaryKey;size:36"`
	AccountID  string   `gorm:"size:36;not null;index"`
	ContactID  string   `gorm:"size:36;not null;index"`
	Contact    *Contact `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	PipelineID string   `gorm:"size:36;not null;index"`
	StageID    string   `gorm:"size:36;not null;index"`
	Name       string   `gorm:"not null"`
	Value      string   `gorm:"size:32;not null;default:'0'"`
	Status     string   `gorm:"size:16;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
