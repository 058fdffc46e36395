// Package email sends email through a mail provider (SMTP).
//
// The workflow's send_email activity depends only on Sender, so a recording
// provider can stand in when no provider is configured.
package email

import (
	"context"
	"fmt"
)

// Message is one outgoing email to one recipient.
type Message struct {
	// FromName and FromEmail name the sender; empty FromEmail means the
	// provider's default address (FromName, if set, still replaces its name).
	FromName, FromEmail string
	To                  string // "ada@example.com" or "Ada <ada@example.com>"
	Subject             string
	// HTML and Text are the two forms of the body; with both, the message is
	// multipart/alternative and the recipient's client picks one.
	HTML, Text string
	// Headers are extra header fields (List-Unsubscribe, X-Campaign...).
	// A "Message-ID" here is used instead of a generated one, so a retried
	// send can keep its ID. Fields built from the other fields (From, To,
	// Subject, Content-Type...) may not be set this way.
	Headers map[string]string
}

// Result is what the provider gave back for an accepted message.
type Result struct {
	// MessageID is the Message-ID header as sent, angle brackets included
	// ("<id@example.com>"), as replies quote it in In-Reply-To.
	MessageID string
}

// Sender sends one message. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
}

// Error is a failed send. Retryable tells the activity whether another
// attempt may succeed (4xx replies, lost connections) or whether the server
// refused for good (5xx replies) or the message itself is wrong.
type Error struct {
	Code      int    // SMTP reply code (550, 451...), 0 when the server gave none
	Message   string // the server's text, or what went wrong
	Retryable bool
	// Err is the underlying error, when there is one (a network error, a
	// cancelled context), so errors.Is still finds it.
	Err error
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("smtp: %s (code %d)", e.Message, e.Code)
	}
	return "smtp: " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }
