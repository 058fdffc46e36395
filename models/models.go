// Package models holds the GORM models of crmflow's application database
// (SQLite in `crmflow dev`, PostgreSQL in production) and their migrations.
package models

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a new opaque id. UUIDv7 ids sort by creation time, which is
// what the list endpoints' cursors rely on.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Account is a tenant: every other row belongs to exactly one.
type Account struct {
	ID        string `gorm:"primaryKey;size:36"`
	Name      string `gorm:"not null"`
	Timezone  string `gorm:"not null;default:UTC"`
	Dev       bool   `gorm:"not null;default:false"` // the account `crmflow dev` creates
	CreatedAt time.Time
	UpdatedAt time.Time
}

// APIKey authenticates requests for one account. Only the SHA-256 of the key is stored.
type APIKey struct {
	ID        string `gorm:"primaryKey;size:36"`
	AccountID string `gorm:"size:36;not null;index"`
	Hash      string `gorm:"size:64;not null;uniqueIndex"`
	Prefix    string `gorm:"size:16;not null"` // first characters, to tell keys apart
	CreatedAt time.Time
}

// Contact is a person the account automates for.
type Contact struct {
	ID               string         `gorm:"primaryKey;size:36"`
	AccountID        string         `gorm:"size:36;not null;index:idx_contacts_account_email,priority:1;index:idx_contacts_account_phone,priority:1"`
	FirstName        string         `gorm:"not null;default:''"`
	LastName         string         `gorm:"not null;default:''"`
	Email            string         `gorm:"not null;default:'';index:idx_contacts_account_email,priority:2"`
	Phone            string         `gorm:"not null;default:'';index:idx_contacts_account_phone,priority:2"` // E.164
	Timezone         string         `gorm:"not null;default:''"`
	Custom           map[string]any `gorm:"type:text;serializer:json"`
	DNDSMS           bool           `gorm:"column:dnd_sms;not null;default:false"`
	DNDEmail         bool           `gorm:"column:dnd_email;not null;default:false"`
	AssignedUserID   *string        `gorm:"size:36"`
	StripeCustomerID string         `gorm:"not null;default:''"`
	DateOfBirth      string         `gorm:"size:10;not null;default:''"` // YYYY-MM-DD
	Tags             []ContactTag   `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ContactTag is one tag on a contact; a table of its own so `?tag=` and
// triggers can find contacts by tag on any database.
type ContactTag struct {
	ContactID string `gorm:"primaryKey;size:36"`
	Tag       string `gorm:"primaryKey;size:255"`
	AccountID string `gorm:"size:36;not null;index:idx_contact_tags_account_tag,priority:1"`
	TagIndex  string `gorm:"column:tag_key;size:255;not null;index:idx_contact_tags_account_tag,priority:2"` // lower-cased
	CreatedAt time.Time
}

// Workflow statuses.
const (
	WorkflowDraft     = "draft"
	WorkflowPublished = "published"
)

// Workflow is a builder's workflow: its current (editable) definition, and
// the number of its latest published version.
type Workflow struct {
	ID         string `gorm:"primaryKey;size:36"`
	AccountID  string `gorm:"size:36;not null;index"`
	Name       string `gorm:"not null"`
	Status     string `gorm:"size:16;not null;default:draft"`
	Version    int    `gorm:"not null;default:0"`
	Definition []byte `gorm:"not null"` // the definition JSON as last saved
	// UnpublishedChanges is set when the saved definition differs from the
	// latest published version (edits wait for the next publish).
	UnpublishedChanges bool `gorm:"not null;default:false"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// WorkflowVersion is an immutable published definition; enrollments pin one.
type WorkflowVersion struct {
	ID          string `gorm:"primaryKey;size:36"`
	AccountID   string `gorm:"size:36;not null;index"`
	WorkflowID  string `gorm:"size:36;not null;uniqueIndex:idx_workflow_versions_wf_version,priority:1"`
	Version     int    `gorm:"not null;uniqueIndex:idx_workflow_versions_wf_version,priority:2"`
	Definition  []byte `gorm:"not null"`
	PublishedAt time.Time
}

// PublishedTrigger indexes the triggers of published workflows by (account,
// type) so that routing an event reads only the workflows that could match.
type PublishedTrigger struct {
	ID        string `gorm:"primaryKey;size:36"`
	AccountID string `gorm:"size:36;not null;index:idx_published_triggers_account_type,priority:1"`
	Type      string `gorm:"size:64;not null;index:idx_published_triggers_account_type,priority:2"`
	// MatchKey is an equality every matching event satisfies ("tag=lead"),
	// or "" (see condition.IndexKey): events only read triggers they can match.
	MatchKey   string `gorm:"size:255;not null;default:'';index:idx_published_triggers_account_type,priority:3"`
	WorkflowID string `gorm:"size:36;not null;index"`
	Version    int    `gorm:"not null"`
	TriggerID  string `gorm:"not null"`
	Definition []byte `gorm:"not null"` // the trigger JSON (type, filters, config)
	CreatedAt  time.Time
}

// Enrollment statuses.
const (
	EnrollmentPending   = "pending" // row written, run not yet started
	EnrollmentActive    = "active"
	EnrollmentWaiting   = "waiting"
	EnrollmentCompleted = "completed"
	EnrollmentFailed    = "failed"
	EnrollmentExited    = "exited"
)

// Enrollment is one contact's pass through one workflow version. The unique
// (workflow, contact, entry key) index is what makes "one enrollment per
// contact per workflow per entry" hold under concurrent triggers.
type Enrollment struct {
	ID         string `gorm:"primaryKey;size:36"`
	AccountID  string `gorm:"size:36;not null;index"`
	WorkflowID string `gorm:"size:36;not null;uniqueIndex:idx_enrollments_entry,priority:1;index:idx_enrollments_wf_status,priority:1;index:idx_enrollments_wf_started,priority:1"`
	ContactID  string `gorm:"size:36;not null;uniqueIndex:idx_enrollments_entry,priority:2;index"`
	EntryKey   string `gorm:"size:160;not null;uniqueIndex:idx_enrollments_entry,priority:3"`
	// EntryScope is what the entry is for when a trigger enrolls once per
	// object (an appointment, an opportunity): "" for the contact itself.
	EntryScope  string `gorm:"size:128;not null;default:''"`
	EntryNo     int    `gorm:"not null;default:0"` // 1, 2, ... for real entries; 0 for tests
	Version     int    `gorm:"not null"`
	Status      string `gorm:"size:16;not null;index:idx_enrollments_wf_status,priority:2;index:idx_enrollments_wf_started,priority:3;index:idx_enrollments_finished,priority:1"`
	CurrentStep string `gorm:"not null;default:''"`
	ExitReason  string `gorm:"not null;default:''"`
	Test        bool   `gorm:"not null;default:false"`
	TriggerID   string `gorm:"not null;default:''"`
	EventID     string `gorm:"size:36;not null;default:''"`
	// Retries counts POST /v1/enrollments/{id}/retry: each retry is a new
	// Temporal run (".../retry-N") resuming at the failed step.
	Retries            int    `gorm:"not null;default:0"`
	TemporalWorkflowID string `gorm:"not null;default:''"`
	TemporalRunID      string `gorm:"not null;default:''"`
	// idx_enrollments_wf_started covers the statistics (internal/history);
	// idx_enrollments_finished finds the logs the retention pruner deletes.
	StartedAt  time.Time  `gorm:"not null;index:idx_enrollments_wf_started,priority:2"`
	FinishedAt *time.Time `gorm:"index:idx_enrollments_wf_started,priority:4;index:idx_enrollments_finished,priority:2"`
	UpdatedAt  time.Time

	// Chain lists the workflows whose add_to_workflow steps led to this
	// enrollment, outermost first (nil when a trigger or the API enrolled):
	// kept here so that a restarted or retried run still knows its depth.
	Chain []string `gorm:"type:text;serializer:json"`
}

// Step execution statuses.
const (
	StepRunning   = "running"
	StepWaiting   = "waiting"
	StepCompleted = "completed"
	StepSkipped   = "skipped"
	StepFailed    = "failed"
)

// StepExecution is one row of an enrollment's execution log: one visit of one
// step. Unique per (enrollment, step, visit) so retried writes are upserts.
type StepExecution struct {
	ID        string `gorm:"primaryKey;size:36"`
	AccountID string `gorm:"size:36;not null;index"`
	// idx_step_executions_wf_started serves the workflow log (newest first),
	// idx_step_executions_wf_step covers the per-step statistics, and
	// idx_step_executions_contact_started the contact timeline.
	WorkflowID   string    `gorm:"size:36;not null;index;index:idx_step_executions_wf_started,priority:1;index:idx_step_executions_wf_step,priority:1"`
	EnrollmentID string    `gorm:"size:36;not null;uniqueIndex:idx_step_executions_visit,priority:1"`
	ContactID    string    `gorm:"size:36;not null;index;index:idx_step_executions_contact_started,priority:1"`
	StepID       string    `gorm:"not null;uniqueIndex:idx_step_executions_visit,priority:2;index:idx_step_executions_wf_step,priority:2"`
	Visit        int       `gorm:"not null;uniqueIndex:idx_step_executions_visit,priority:3"`
	StepType     string    `gorm:"size:64;not null"`
	StepName     string    `gorm:"not null;default:''"`
	Status       string    `gorm:"size:16;not null;index:idx_step_executions_wf_step,priority:3"`
	Attempts     int       `gorm:"not null;default:0"`
	StartedAt    time.Time `gorm:"not null;index:idx_step_executions_wf_started,priority:2;index:idx_step_executions_wf_step,priority:4;index:idx_step_executions_contact_started,priority:2"`
	FinishedAt   *time.Time
	Output       map[string]any `gorm:"type:text;serializer:json"`
	Error        string         `gorm:"type:text;not null;default:''"`
}

// Event is something that happened to a contact: raised by our own record
// changes or ingested by POST /v1/events. ExternalID deduplicates ingestion.
type Event struct {
	ID          string         `gorm:"primaryKey;size:36"`
	AccountID   string         `gorm:"size:36;not null;uniqueIndex:idx_events_external,priority:1"`
	ExternalID  string         `gorm:"size:255;not null;uniqueIndex:idx_events_external,priority:2"`
	Type        string         `gorm:"size:64;not null"`
	ContactID   string         `gorm:"size:36;not null;index;index:idx_events_contact_occurred,priority:1"`
	Data        map[string]any `gorm:"type:text;serializer:json"`
	Enrollments []string       `gorm:"type:text;serializer:json"`                             // ids of the enrollments it started
	OccurredAt  time.Time      `gorm:"not null;index:idx_events_contact_occurred,priority:2"` // the contact timeline
	// RoutedAt is set once triggers were matched; events written with their
	// record change but not routed (a crash in between) are routed by a sweeper.
	RoutedAt  *time.Time `gorm:"index"`
	CreatedAt time.Time
	// TargetWorkflowID and TargetTriggerID, when set, confine routing to
	// that one trigger: a payload posted to an inbound webhook's own URL
	// enrolls only into the workflow that owns it.
	TargetWorkflowID string `gorm:"size:36;not null;default:''"`
	TargetTriggerID  string `gorm:"size:64;not null;default:''"`
}

// Message statuses.
const (
	MessageSending  = "sending" // ledger row written before the provider call
	MessageSent     = "sent"
	MessageRecorded = "recorded" // no provider configured: kept, not sent
	MessageFailed   = "failed"
	MessageSkipped  = "skipped"
)

// Message directions: what we sent, or what a contact sent us.
const (
	MessageOutbound = "outbound"
	MessageInbound  = "inbound"
)

// MessageReceived is the status of an inbound message.
const MessageReceived = "received"

// Message is every message sent or recorded, and every inbound text (Direction
// inbound). Its IdempotencyKey (enrollment, step, visit) makes it the send
// ledger: written before the provider is called, checked on retry, so a
// retried activity never sends twice; an inbound message's key is its
// provider's id, so a provider's retry stores it once.
type Message struct {
	ID             string    `gorm:"primaryKey;size:36"`
	AccountID      string    `gorm:"size:36;not null;index"`
	ContactID      string    `gorm:"size:36;not null;index;index:idx_messages_contact_created,priority:1"`
	EnrollmentID   string    `gorm:"size:36;not null;default:'';index:idx_messages_enrollment_step,priority:1"` // per-step message statistics
	StepID         string    `gorm:"not null;default:'';index:idx_messages_enrollment_step,priority:2"`
	IdempotencyKey *string   `gorm:"size:255;uniqueIndex"`
	Channel        string    `gorm:"size:16;not null"`
	Direction      string    `gorm:"size:8;not null;default:'outbound'"` // rows from before it are sends
	To             string    `gorm:"column:to_addr;not null"`
	From           string    `gorm:"column:from_addr;not null;default:''"`
	Subject        string    `gorm:"not null;default:''"`
	Body           string    `gorm:"type:text;not null"`
	Status         string    `gorm:"size:16;not null;index:idx_messages_enrollment_step,priority:3"`
	Provider       string    `gorm:"size:32;not null;default:''"`
	ProviderID     string    `gorm:"not null;default:'';index"` // status callbacks find the message by it
	Error          string    `gorm:"type:text;not null;default:''"`
	CreatedAt      time.Time `gorm:"index:idx_messages_contact_created,priority:2"` // replies are credited to the last message before them
	UpdatedAt      time.Time
}

// IdempotencyRecord remembers the first answer to a mutating request that
// carried an Idempotency-Key, so a repeat returns it and changes nothing.
type IdempotencyRecord struct {
	AccountID   string `gorm:"primaryKey;size:36"`
	Key         string `gorm:"primaryKey;size:255"`
	Method      string `gorm:"size:8;not null"`
	Path        string `gorm:"not null"`
	RequestHash string `gorm:"size:64;not null"`
	Done        bool   `gorm:"not null;default:false"`
	Status      int    `gorm:"not null;default:0"`
	Body        []byte
	CreatedAt   time.Time
}
