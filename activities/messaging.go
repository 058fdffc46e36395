package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
)

// SendSMS texts the enrolled contact through the send ledger. Numbers go
// out in E.164: the contact's, and a number given as the sender (a step's
// templated from, or the workflow's from_number), which may also be a
// Twilio messaging service SID or an alphanumeric sender ID.
func (a *Activities) SendSMS(ctx context.Context, call *steps.Call, m steps.SMS) (steps.Sent, error) {
	c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return steps.Sent{}, contactError(err)
	}
	from, err := steps.ParseSMSSender(m.From, a.region())
	if err != nil {
		return steps.Sent{}, permanent("config.from: %v", err)
	}
	msg := &models.Message{Channel: "sms", To: c.Phone, From: from.Value(), Body: m.Body}
	switch {
	case c.Phone == "":
		return a.skip(ctx, call, msg, "the contact has no phone number")
	case c.DNDSMS:
		return a.skip(ctx, call, msg, "the contact has do-not-disturb on for SMS")
	}
	to, err := contacts.NormalizePhone(c.Phone, a.region())
	if err != nil {
		return a.skip(ctx, call, msg, "the contact's phone number cannot be used: "+err.Error())
	}
	msg.To = to
	if a.opts.SMS != nil {
		msg.Provider = "twilio"
	}
	return a.deliver(ctx, call, msg, nil, a.smsSend(call.AccountID, sms.Message{To: to, Body: m.Body, MediaURLs: m.MediaURLs}, from))
}

// smsSend is how deliver hands m to the SMS provider; nil without one (the
// message is recorded).
func (a *Activities) smsSend(accountID string, m sms.Message, from steps.SMSSender) func(context.Context) (string, error) {
	if a.opts.SMS == nil {
		return nil
	}
	m.From = from.Number + from.AlphanumericID
	m.MessagingServiceSID = from.MessagingServiceSID
	m.StatusCallback = a.statusCallback(accountID)
	return func(ctx context.Context) (string, error) {
		res, err := a.opts.SMS.Send(ctx, m)
		return res.ProviderID, err
	}
}

// region reads phone numbers written without a country code.
func (a *Activities) region() string {
	if a.opts.Contacts != nil && a.opts.Contacts.DefaultRegion != "" {
		return a.opts.Contacts.DefaultRegion
	}
	return "US" // the contacts service's own default
}

// statusCallback is where Twilio reports the delivery of the account's
// messages; "" (no callbacks) without a public URL, as Twilio could not reach us.
func (a *Activities) statusCallback(accountID string) string {
	if a.opts.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(a.opts.PublicURL, "/") + "/v1/webhooks/twilio/" + url.PathEscape(accountID) + "/status"
}

// SendEmail emails the enrolled contact through the send ledger. With
// email tracking configured, the message gets an open pixel, its links are
// wrapped for click tracking, {{unsubscribe_url}} becomes the message's own
// unsubscribe URL and List-Unsubscribe headers are set; without a text
// part, one is derived from the HTML.
func (a *Activities) SendEmail(ctx context.Context, call *steps.Call, m steps.Email) (steps.Sent, error) {
	c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return steps.Sent{}, contactError(err)
	}
	if m.FromEmail != "" {
		if addr, err := mail.ParseAddress(m.FromEmail); err != nil || addr.Address != m.FromEmail {
			return steps.Sent{}, permanent("config.from_email: %q is not an email address", m.FromEmail)
		}
	}
	msg := &models.Message{Channel: "email", To: c.Email, From: cmp.Or(m.FromEmail, a.opts.EmailFrom), Subject: m.Subject,
		Body: strings.ReplaceAll(m.HTML, steps.UnsubscribeURLMarker, "")} // until prepared for sending
	switch {
	case c.Email == "":
		return a.skip(ctx, call, msg, "the contact has no email address")
	case c.DNDEmail:
		return a.skip(ctx, call, msg, "the contact has do-not-disturb on for email")
	}
	var out email.Message
	prepare := func(ctx context.Context, row *models.Message) error {
		p, err := a.trackEmail(ctx, row.ID, m)
		if err != nil {
			return err
		}
		// The Message-ID is derived from the ledger key, so a resend
		// after an ambiguous failure is recognisable as the same mail.
		p.Headers["Message-ID"] = fmt.Sprintf("<%s.%s.%d@crmflow>", call.EnrollmentID, call.Step.ID, call.Visit)
		out = email.Message{FromName: m.FromName, FromEmail: m.FromEmail, To: c.Email, Subject: m.Subject,
			HTML: p.HTML, Text: p.Text, Headers: p.Headers}
		row.Body = p.HTML // what the contact receives, tracked links included
		return nil
	}
	var send func(context.Context) (string, error)
	if a.opts.Email != nil {
		msg.Provider = "smtp"
		send = func(ctx context.Context) (string, error) {
			res, err := a.opts.Email.Send(ctx, out)
			return res.MessageID, err
		}
	}
	return a.deliver(ctx, call, msg, prepare, send)
}

// trackEmail prepares an email's content for the message id: tracked when
// email tracking is configured, else with {{unsubscribe_url}} left empty.
func (a *Activities) trackEmail(ctx context.Context, messageID string, m steps.Email) (emailtracking.Prepared, error) {
	if a.opts.EmailTracking == nil || a.opts.LinkBaseURL == "" {
		p := emailtracking.Prepared{HTML: strings.ReplaceAll(m.HTML, steps.UnsubscribeURLMarker, ""),
			Text: strings.ReplaceAll(m.Text, steps.UnsubscribeURLMarker, ""), Headers: map[string]string{}}
		if p.Text == "" {
			p.Text = emailtracking.PlainText(p.HTML)
		}
		return p, nil
	}
	p, err := a.opts.EmailTracking.Prepare(ctx, a.opts.LinkBaseURL, messageID,
		emailtracking.Email{HTML: m.HTML, Text: m.Text, UnsubscribeMarker: steps.UnsubscribeURLMarker})
	if err != nil {
		return emailtracking.Prepared{}, fmt.Errorf("preparing email tracking: %w", err)
	}
	return p, nil
}

// deliver is the send ledger. The message row, keyed by (enrollment, step,
// visit), is written before the provider is called and checked on every
// retry: a row already sent (or whose send may have gone out before a crash)
// is never sent again. prepare, when set, finishes the message once its
// row (and so its id) exists, e.g. tracked links that name the message; it
// must give the same result on every attempt. send is nil when no provider
// is configured: the message is then recorded, not sent.
func (a *Activities) deliver(ctx context.Context, call *steps.Call, msg *models.Message,
	prepare func(context.Context, *models.Message) error, send func(context.Context) (string, error)) (steps.Sent, error) {
	row, fresh, err := a.claim(ctx, call, msg)
	if err != nil {
		return steps.Sent{}, err
	}
	if !fresh {
		switch row.Status {
		case models.MessageSent, models.MessageRecorded, models.MessageSkipped:
			return sentOf(row), nil
		case models.MessageSending:
			// An earlier attempt died between calling the provider and
			// writing the answer: the message may be out. Never risk a second one.
			row.Status = models.MessageSent
			row.Error = "delivery unconfirmed: an earlier attempt stopped after calling the provider; not sent again to avoid a duplicate"
			if err := a.opts.DB.WithContext(ctx).Model(row).Updates(map[string]any{"status": row.Status, "error": row.Error}).Error; err != nil {
				return steps.Sent{}, fmt.Errorf("updating message %s: %w", row.ID, err)
			}
			return sentOf(row), nil
		}
		// failed with a retryable error: nothing went out, send again.
		if err := a.opts.DB.WithContext(ctx).Model(row).Updates(map[string]any{"status": models.MessageSending, "error": ""}).Error; err != nil {
			return steps.Sent{}, fmt.Errorf("updating message %s: %w", row.ID, err)
		}
	}
	if prepare != nil {
		err := prepare(ctx, row)
		if err == nil {
			err = a.opts.DB.WithContext(ctx).Model(row).Update("body", row.Body).Error
		}
		if err != nil {
			// Nothing went out: a retry may send.
			perr := fmt.Errorf("preparing message %s: %w", row.ID, err)
			if uerr := a.opts.DB.WithContext(ctx).Model(row).Updates(map[string]any{"status": models.MessageFailed, "error": perr.Error()}).Error; uerr != nil {
				return steps.Sent{}, errors.Join(perr, fmt.Errorf("recording failed message %s: %w", row.ID, uerr))
			}
			return steps.Sent{}, perr
		}
	}
	if send == nil {
		row.Status = models.MessageRecorded
		if err := a.opts.DB.WithContext(ctx).Model(row).Update("status", row.Status).Error; err != nil {
			return steps.Sent{}, fmt.Errorf("recording message %s: %w", row.ID, err)
		}
		return sentOf(row), nil
	}
	providerID, sendErr := send(ctx)
	if sendErr != nil {
		if ambiguous(sendErr) {
			// The request may have reached the provider before the answer
			// was lost: leave the row "sending", which the retry reads as
			// "maybe sent" and never sends again.
			return steps.Sent{}, sendErr
		}
		row.Status, row.Error = models.MessageFailed, sendErr.Error()
		if err := a.opts.DB.WithContext(ctx).Model(row).Updates(map[string]any{"status": row.Status, "error": row.Error}).Error; err != nil {
			return steps.Sent{}, errors.Join(sendErr, fmt.Errorf("recording failed message %s: %w", row.ID, err))
		}
		return steps.Sent{}, sendErr
	}
	row.Status, row.ProviderID = models.MessageSent, providerID
	if err := a.opts.DB.WithContext(ctx).Model(row).Updates(map[string]any{"status": row.Status, "provider_id": providerID}).Error; err != nil {
		// The provider has it; the row says "sending", which a retry reads as
		// "maybe sent" and never resends.
		return steps.Sent{}, fmt.Errorf("recording sent message %s: %w", row.ID, err)
	}
	return sentOf(row), nil
}

// claim writes the ledger row for this (enrollment, step, visit), or returns
// the one an earlier attempt wrote.
func (a *Activities) claim(ctx context.Context, call *steps.Call, msg *models.Message) (*models.Message, bool, error) {
	key := call.IdempotencyKey
	if msg.IdempotencyKey != nil { // a send of its own within the step (a notification's user)
		key = *msg.IdempotencyKey
	}
	msg.ID, msg.AccountID, msg.ContactID = models.NewID(), call.AccountID, call.ContactID
	msg.EnrollmentID, msg.StepID, msg.IdempotencyKey = call.EnrollmentID, call.Step.ID, &key
	if msg.Status == "" {
		msg.Status = models.MessageSending
	}
	err := a.opts.DB.WithContext(ctx).Create(msg).Error
	if err == nil {
		return msg, true, nil
	}
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, false, fmt.Errorf("writing message ledger: %w", err)
	}
	var existing models.Message
	if err := a.opts.DB.WithContext(ctx).Where("idempotency_key = ?", key).First(&existing).Error; err != nil {
		return nil, false, fmt.Errorf("reading message ledger: %w", err)
	}
	return &existing, false, nil
}

// skip records a message that was not sent, and why.
func (a *Activities) skip(ctx context.Context, call *steps.Call, msg *models.Message, reason string) (steps.Sent, error) {
	msg.Status, msg.Error = models.MessageSkipped, reason
	row, _, err := a.claim(ctx, call, msg)
	if err != nil {
		return steps.Sent{}, err
	}
	s := sentOf(row)
	s.Status, s.Reason = models.MessageSkipped, reason
	return s, nil
}

func sentOf(m *models.Message) steps.Sent {
	s := steps.Sent{MessageID: m.ID, Status: m.Status, ProviderID: m.ProviderID, To: m.To}
	if m.Status == models.MessageSkipped {
		s.Reason = m.Error
	}
	return s
}

// ambiguous reports a failed send that may nonetheless have been delivered:
// no answer came back, yet the connection was made. A refused connection or
// a failed DNS lookup proves nothing was sent.
func ambiguous(err error) bool {
	var smsErr *sms.Error
	var mailErr *email.Error
	noAnswer := (errors.As(err, &smsErr) && smsErr.Status == 0 && smsErr.Retryable) ||
		(errors.As(err, &mailErr) && mailErr.Code == 0 && mailErr.Retryable)
	if !noAnswer {
		return false
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if (errors.As(err, &opErr) && opErr.Op == "dial") || errors.As(err, &dnsErr) {
		return false
	}
	return true
}
