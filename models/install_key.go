package models

import "time"

func init() { All = append(All, &InstallKey{}) }

// InstallKey is a secret generated once per installation (e.g. the HMAC key
// that signs trigger link codes). It lives in the database so that it
// survives restarts and the API and the workers share it.
type InstallKey struct {
	Name      string `gorm:"primaryKey;size:64"`
	Key       string `gorm:"size:128;not null"` // hex
	CreatedAt time.Time
}
