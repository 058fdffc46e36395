// Package sms sends text messages through an SMS provider (Twilio).
//
// The workflow's send_sms activity depends only on Sender, so a recording
// provider can stand in when no provider is configured.
package sms

import (
	"context"
	"fmt"
	"strings"
)

// Message is one outgoing SMS, or MMS when MediaURLs is not empty.
type Message struct {
	To   string // E.164 number
	From string // sender number (or alphanumeric sender ID); empty means the provider's default
	// MessagingServiceSID ("MG...") sends through a Twilio messaging
	// service, which picks the number; it replaces From.
	MessagingServiceSID string
	Body                string
	// MediaURLs are public URLs of images or other media; any makes the message an MMS.
	MediaURLs []string
	// StatusCallback is the URL the provider calls as the delivery status changes.
	StatusCallback string
}

// Result is what the provider answered when it accepted the message.
type Result struct {
	ProviderID string // Twilio's message sid ("SM...")
	Status     string // Twilio's status: "queued", "accepted", "sent"...
}

// Sender sends one message. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
}

// Error is a failed send. Retryable tells the activity whether another
// attempt may succeed (server trouble, rate limits, network) or whether the
// request itself is wrong and retrying would only repeat the failure.
type Error struct {
	Code      int    // the provider's error code (Twilio: 21211...), 0 when none
	Status    int    // HTTP status, 0 when no answer arrived
	Message   string // the provider's own message
	Retryable bool
	// Err is the underlying error, when there is one (a network error, a
	// cancelled context), so errors.Is still finds it.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("twilio: ")
	b.WriteString(e.Message)
	switch {
	case e.Code != 0 && e.Status != 0:
		fmt.Fprintf(&b, " (code %d, HTTP %d)", e.Code, e.Status)
	case e.Code != 0:
		fmt.Fprintf(&b, " (code %d)", e.Code)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// retryableStatus reports whether an HTTP status means "try again later":
// Twilio's own trouble (5xx) and rate limiting (429) pass; any other 4xx
// means the request is wrong and will stay wrong.
func retryableStatus(status int) bool {
	return status >= 500 || status == 429
}
