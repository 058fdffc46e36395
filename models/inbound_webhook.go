package models

import "time"

func init() { All = append(All, &InboundWebhook{}, &InboundWebhookSample{}) }

// InboundWebhook is the secret URL of one inbound_webhook trigger of one
// workflow. Token is kept so that workflow answers can show the URL; requests
// are looked up by TokenHash (SHA-256) and then compared in constant time.
// Rotating replaces both; the row (and its samples) stay.
type InboundWebhook struct {
	ID         string `gorm:"primaryKey;size:36"`
	AccountID  string `gorm:"size:36;not null;index"`
	WorkflowID string `gorm:"size:36;not null;uniqueIndex:idx_inbound_webhooks_trigger,priority:1"`
	TriggerID  string `gorm:"size:64;not null;uniqueIndex:idx_inbound_webhooks_trigger,priority:2"`
	Token      string `gorm:"size:64;not null"`
	TokenHash  string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time
	RotatedAt  *time.Time
}

// InboundWebhookSample is one request an inbound webhook received, kept (the
// last few per hook) so builders can map fields from real payloads. Rejected
// requests are kept too, with the reason they were refused.
type InboundWebhookSample struct {
	ID         string         `gorm:"primaryKey;size:36"`
	AccountID  string         `gorm:"size:36;not null;index"`
	HookID     string         `gorm:"size:36;not null;index"`
	Method     string         `gorm:"size:8;not null"`
	Payload    map[string]any `gorm:"type:text;serializer:json"`     // nil when the body was not a JSON object
	Raw        string         `gorm:"type:text;not null;default:''"` // the body as text when it could not be read as a payload (truncated)
	Rejected   bool           `gorm:"not null;default:false"`
	Reason     string         `gorm:"type:text;not null;default:''"`
	Status     int            `gorm:"not null"` // the HTTP status answered
	EventID    string         `gorm:"size:36;not null;default:''"`
	ContactID  string         `gorm:"size:36;not null;default:''"`
	ReceivedAt time.Time      `gorm:"not null"`
}
