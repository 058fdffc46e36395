package models

import "time"

func init() { All = append(All, &Appointment{}) }

// Appointment statuses.
const (
	AppointmentNew       = "new"
	AppointmentConfirmed = "confirmed"
	AppointmentCancelled = "cancelled"
	AppointmentShowed    = "showed"
	AppointmentNoShow    = "no-show"
)

// Appointment is a contact's booking on a calendar. CalendarID is a free
// string: calendars live in whatever booking tool the account uses.
type Appointment struct {
	ID         string    `gorm:"primaryKey;size:36"`
	AccountID  string    `gorm:"size:36;not null;index"`
	ContactID  string    `gorm:"size:36;not null;index"`
	Contact    *Contact  `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	CalendarID string    `gorm:"size:255;not null;index"`
	Title      string    `gorm:"not null;default:''"`
	StartTime  time.Time `gorm:"not null"`
	EndTime    time.Time `gorm:"not null"`
	Status     string    `gorm:"size:16;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
