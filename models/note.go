package models

import "time"

func init() { All = append(All, &Note{}) }

// Note is a free-text note on a contact, maybe written by a user. Notes go
// with their contact; a deleted user leaves its notes unsigned.
type Note struct {
	ID        string   `gorm:"primaryKey;size:36"`
	AccountID string   `gorm:"size:36;not null;index"`
	ContactID string   `gorm:"size:36;not null;index"`
	Contact   *Contact `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	UserID    *string  `gorm:"size:36;index"`
	User      *User    `gorm:"foreignKey:UserID;constraint:OnDelete:SET NULL"`
	Body      string   `gorm:"type:text;not null"`
	CreatedAt time.Time
}
