package payments

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v76"
)

// Error is a failed Stripe call, with a message for the execution log and
// whether retrying (with the same idempotency key) can help.
type Error struct {
	Retryable bool
	Message   string
	// Decline is Stripe's decline code for a declined card ("insufficient_funds").
	Decline string
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// stripeError sorts Stripe's answers: a card decline and other refusals are
// final (the same request would be refused again); rate limits, Stripe's own
// 5xx, a lock timeout and network failures are retried.
func stripeError(doing string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return &Error{Retryable: true, Message: fmt.Sprintf("calling Stripe (%s): %v", doing, err), Err: err}
	}
	e := &Error{Err: err, Decline: string(se.DeclineCode)}
	msg := se.Msg
	if msg == "" {
		msg = http.StatusText(se.HTTPStatusCode)
	}
	code := string(se.Code)
	if se.DeclineCode != "" {
		code = string(se.DeclineCode)
	}
	if code != "" {
		msg += " (" + code + ")"
	}
	switch {
	case se.Type == stripe.ErrorTypeCard:
		e.Message = "Stripe declined the payment: " + msg
	case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500 || se.Code == stripe.ErrorCodeLockTimeout:
		e.Retryable = true
		e.Message = fmt.Sprintf("Stripe answered %d while %s: %s", se.HTTPStatusCode, doing, msg)
	case se.Type == stripe.ErrorTypeIdempotency:
		e.Message = fmt.Sprintf("Stripe refused %s: %s; the step's values changed between attempts (a template reading something that moved), so nothing was repeated", doing, msg)
	default:
		e.Message = fmt.Sprintf("Stripe refused %s: %s", doing, msg)
	}
	return e
}
