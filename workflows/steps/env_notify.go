package steps

import "context"

// NotifyEnv sends internal notifications to the account's users (not the
// contact), through the same providers and send ledger as messages to contacts.
type NotifyEnv interface {
	// NotifyUsers sends n to each user, one ledger row per user, so a retry
	// sends only to those who have not had it yet. An id that names no
	// user of the account fails the step for good.
	NotifyUsers(ctx context.Context, call *Call, n Notification) ([]Notified, error)
}

// Notification is an internal notification, rendered.
type Notification struct {
	Channel string // "email" or "sms"
	UserIDs []string
	Subject string // email only
	Body    string
}

// Notified is what happened to the notification of one user.
type Notified struct {
	UserID string
	Sent
}
