package steps

import (
	"context"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
)

// Env is what actions may touch; the activities package implements it over
// the database and the providers. Each concern has its own small interface
// (a new kind of side effect adds one, in a file of its own, and one line here).
type Env interface {
	ContactEnv
	MessagingEnv
	NotifyEnv
	HTTPEnv
	RequestEnv
	PaymentsEnv
	RecordsEnv
	CustomValuesEnv
	AIEnv
	WorkflowsEnv
}

// ContactEnv changes the enrolled contact.
type ContactEnv interface {
	AddTags(ctx context.Context, call *Call, tags []string) (added []string, err error)
	RemoveTags(ctx context.Context, call *Call, tags []string) (removed []string, err error)
	UpdateContact(ctx context.Context, call *Call, fields map[string]string) (changed []string, err error)
}

// MessagingEnv sends messages to the enrolled contact through the send ledger.
type MessagingEnv interface {
	SendSMS(ctx context.Context, call *Call, m SMS) (Sent, error)
	SendEmail(ctx context.Context, call *Call, m Email) (Sent, error)
}

// HTTPEnv calls outside systems.
type HTTPEnv interface {
	PostJSON(ctx context.Context, call *Call, url string, body any) (HTTPResponse, error)
}

// Call is one execution of an action step for one enrollment.
type Call struct {
	AccountID    string
	WorkflowID   string
	Version      int
	EnrollmentID string
	ContactID    string
	Test         bool
	Step         definition.Step
	Visit        int
	Settings     definition.Settings
	// IdempotencyKey is (enrollment, step, visit): the same on every retry.
	IdempotencyKey string
	// Scope is what templates and conditions read: contact, event, steps,
	// account, custom_values, now.
	Scope map[string]any
	// Chain lists the workflows whose add_to_workflow steps led to this
	// enrollment, outermost first (add_to_workflow's depth limit).
	Chain []string
	// Now is the time on the step's clock (the workflow's), the one now.*
	// reads: steps reading the time use it, not the wall clock, so they agree
	// with the execution log and with time-skipping tests.
	Now time.Time
}

// Time is the time now for the step: Call.Now, or the wall clock for a
// call made without one.
func (c *Call) Time() time.Time {
	if c.Now.IsZero() {
		return time.Now().UTC()
	}
	return c.Now
}

// Render renders a template of the step's config against the call's scope.
// A render error is a Failure: the same template over the same data fails
// the same way on every retry ("division by zero", text where a number goes).
func (c *Call) Render(s string) (string, error) {
	v, err := template.Render(s, c.Scope)
	if err != nil {
		return "", &Failure{Err: err}
	}
	return v, nil
}

// SMS is a text message to the enrolled contact.
type SMS struct {
	From      string
	Body      string
	MediaURLs []string
}

// Email is an email to the enrolled contact.
type Email struct {
	FromName  string
	FromEmail string
	Subject   string
	HTML      string
	Text      string
}

// Sent describes a message once the ledger has it.
type Sent struct {
	MessageID  string // our id, listed at /v1/messages
	Status     string // sent, recorded, skipped
	ProviderID string
	To         string
	Reason     string // why it was skipped
}

// HTTPResponse is what a webhook answered.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    any // parsed when JSON, else text
}
