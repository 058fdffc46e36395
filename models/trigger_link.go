package models

import "time"

func init() { All = append(All, &TriggerLink{}, &TriggerLinkClick{}) }

// TriggerLink is a tracked link: {{trigger_link.<id>}} renders a URL of its
// own for each contact that redirects to DestinationURL and raises
// trigger_link_clicked. Deleting the row makes every URL of it answer 404.
type TriggerLink struct {
	ID             string `gorm:"primaryKey;size:36"`
	AccountID      string `gorm:"size:36;not null;index"`
	Name           string `gorm:"not null"`
	DestinationURL string `gorm:"type:text;not null"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TriggerLinkClick counts one contact's clicks on one link. LastEventAt is
// when a click last raised an event: a conditional update on it lets
// exactly one of several clicks within the dedup window raise one.
type TriggerLinkClick struct {
	LinkID      string    `gorm:"primaryKey;size:36"`
	ContactID   string    `gorm:"primaryKey;size:36;index"`
	AccountID   string    `gorm:"size:36;not null;index"`
	Clicks      int       `gorm:"not null;default:0"`
	FirstAt     time.Time `gorm:"not null"`
	LastAt      time.Time `gorm:"not null"`
	LastEventAt time.Time `gorm:"not null"`
	LastEventID string    `gorm:"size:36;not null;default:''"`
}
