package models

import "time"

func init() { All = append(All, &EmailInteraction{}) }

// Kinds of EmailInteraction.
const (
	EmailOpened       = "opened"
	EmailClicked      = "clicked"
	EmailUnsubscribed = "unsubscribed"
)

// EmailInteraction counts what a contact did with one email: opened it
// (the tracking pixel loaded), clicked one of its links (URLHash names the
// link; "" for the other kinds), or unsubscribed through it. The message's
// own row stays about delivery; per-message statistics (opened, clicked)
// read this table. LastEventAt is when an interaction last raised an
// email_event: a conditional update on it lets one of several concurrent
// hits raise one event.
type EmailInteraction struct {
	MessageID   string    `gorm:"primaryKey;size:36"`
	Kind        string    `gorm:"primaryKey;size:16"`
	URLHash     string    `gorm:"primaryKey;size:64"`
	URL         string    `gorm:"type:text;not null;default:''"`
	AccountID   string    `gorm:"size:36;not null;index"`
	ContactID   string    `gorm:"size:36;not null;index"`
	Hits        int       `gorm:"not null;default:0"`
	FirstAt     time.Time `gorm:"not null"`
	LastAt      time.Time `gorm:"not null"`
	LastEventAt time.Time `gorm:"not null"`
}
