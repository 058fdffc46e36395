package activities

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
)

// NotifyUsers sends an internal notification to users of the account, by
// email or SMS, through the same providers and send ledger as messages to
// contacts: one ledger row per user, keyed (enrollment, step, visit, user),
// so a retry after a partial failure only sends to those still waiting.
// The message rows carry the enrolled contact (the one the notification is
// about, none in a scheduler run) and the user's address as "to".
func (a *Activities) NotifyUsers(ctx context.Context, call *steps.Call, n steps.Notification) ([]steps.Notified, error) {
	var users []models.User
	if err := a.opts.DB.WithContext(ctx).Where("account_id = ? AND id IN ?", call.AccountID, n.UserIDs).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("loading users to notify: %w", err)
	}
	byID := make(map[string]*models.User, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	var missing []string
	for _, id := range n.UserIDs {
		if byID[id] == nil {
			missing = append(missing, fmt.Sprintf("%q", id))
		}
	}
	if len(missing) > 0 {
		// Retrying cannot make a user appear: fix the workflow (or the users).
		return nil, permanent("config.user_ids: no user %s in this account (deleted, or never existed here); see GET /v1/users",
			strings.Join(missing, ", "))
	}
	sender := call.Settings.Sender
	from, err := steps.ParseSMSSender(sender.FromNumber, a.region())
	if n.Channel == "sms" && err != nil {
		return nil, permanent("settings.sender.from_number: %v", err)
	}
	out := make([]steps.Notified, 0, len(n.UserIDs))
	for _, id := range n.UserIDs {
		u := byID[id]
		key := call.IdempotencyKey + "/user/" + id
		msg := &models.Message{Channel: n.Channel, IdempotencyKey: &key, Subject: n.Subject, Body: n.Body}
		var sent steps.Sent
		switch n.Channel {
		case "email":
			msg.To, msg.From = u.Email, cmp.Or(sender.FromEmail, a.opts.EmailFrom)
			if u.Email == "" {
				sent, err = a.skip(ctx, call, msg, "the user has no email address")
				break
			}
			var send func(context.Context) (string, error)
			if a.opts.Email != nil {
				msg.Provider = "smtp"
				m := email.Message{FromName: sender.FromName, FromEmail: sender.FromEmail, To: u.Email, Subject: n.Subject,
					Text: n.Body, Headers: map[string]string{
						"Message-ID": fmt.Sprintf("<%s.%s.%d.%s@crmflow>", call.EnrollmentID, call.Step.ID, call.Visit, u.ID)}}
				send = func(ctx context.Context) (string, error) {
					res, err := a.opts.Email.Send(ctx, m)
					return res.MessageID, err
				}
			}
			sent, err = a.deliver(ctx, call, msg, nil, send)
		case "sms":
			msg.To, msg.From = u.Phone, from.Value()
			if u.Phone == "" {
				sent, err = a.skip(ctx, call, msg, "the user has no phone number")
				break
			}
			if a.opts.SMS != nil {
				msg.Provider = "twilio"
			}
			sent, err = a.deliver(ctx, call, msg, nil, a.smsSend(call.AccountID, sms.Message{To: u.Phone, Body: n.Body}, from))
		default:
			return nil, permanent("config.channel: %q is not email or sms", n.Channel)
		}
		if err != nil {
			return nil, fmt.Errorf("notifying user %s: %w", u.ID, err)
		}
		out = append(out, steps.Notified{UserID: u.ID, Sent: sent})
	}
	return out, nil
}
