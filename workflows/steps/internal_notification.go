package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(internalNotification{}) }

// internalNotificationConfig is internal_notification's config.
type internalNotificationConfig struct {
	Channel string   `json:"channel"`
	UserIDs []string `json:"user_ids"`
	Subject string   `json:"subject,omitempty"`
	Body    string   `json:"body"`
}

// NotificationChannels are the channels internal_notification sends on.
var NotificationChannels = []string{"email", "sms"}

// DefaultNotificationSubject is the subject of an emailed notification whose step gives none.
const DefaultNotificationSubject = "Workflow notification"

// internalNotification tells the account's users (by id) about the
// contact: by email or SMS, through the same providers and ledger as sends
// to contacts. User ids may be templates ({{contact.assigned_user_id}}).
type internalNotification struct{ noTargets }

func (internalNotification) Type() string { return "internal_notification" }
func (internalNotification) Remote() bool { return true }

// References names the users to notify.
func (internalNotification) References(s *definition.Step) []Reference {
	var c internalNotificationConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return userRefs(c.UserIDs)
}

// A notification needs no contact: a scheduler run can tell the team too.
func (internalNotification) ContactFree() bool { return true }

func (internalNotification) Validate(p *validation.Problems, s *definition.Step) {
	var c internalNotificationConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.channel", c.Channel) && !slices.Contains(NotificationChannels, c.Channel) {
		p.Add("config.channel", "must be one of %s", strings.Join(NotificationChannels, ", "))
	}
	if len(c.UserIDs) == 0 {
		p.Add("config.user_ids", "is required: the ids of the users to notify")
	}
	seen := map[string]bool{}
	for i, id := range c.UserIDs {
		path := fmt.Sprintf("config.user_ids[%d]", i)
		switch {
		case strings.TrimSpace(id) == "":
			p.Add(path, "cannot be empty")
		case seen[id]:
			p.Add(path, "%q is listed twice", id)
		default:
			checkTemplate(p, path, id)
		}
		seen[id] = true
	}
	if c.Subject != "" && c.Channel == "sms" {
		p.Add("config.subject", "is for channel email only")
	}
	checkTemplate(p, "config.subject", c.Subject)
	if required(p, "config.body", c.Body) {
		checkTemplate(p, "config.body", c.Body)
	}
}

func (internalNotification) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c internalNotificationConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	n := Notification{Channel: c.Channel}
	var err error
	if n.Body, err = call.Render(c.Body); err != nil {
		return Result{}, fmt.Errorf("config.body: %w", err)
	}
	if c.Channel == "email" {
		if n.Subject, err = call.Render(c.Subject); err != nil {
			return Result{}, fmt.Errorf("config.subject: %w", err)
		}
		if strings.TrimSpace(n.Subject) == "" {
			n.Subject = DefaultNotificationSubject
		}
	}
	for i, raw := range c.UserIDs {
		id, err := call.Render(raw)
		if err != nil {
			return Result{}, fmt.Errorf("config.user_ids[%d]: %w", i, err)
		}
		// A template may render empty (a contact with no assigned user):
		// nobody to tell there, which is not a fault of the others.
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(n.UserIDs, id) {
			n.UserIDs = append(n.UserIDs, id)
		}
	}
	if len(n.UserIDs) == 0 {
		return Result{Output: map[string]any{"channel": c.Channel, "sent": 0, "messages": []any{}}, Skipped: true,
			Reason: "config.user_ids rendered to no user id"}, nil
	}
	notified, err := env.NotifyUsers(ctx, call, n)
	if err != nil {
		return Result{}, err
	}
	msgs := make([]any, 0, len(notified))
	delivered := 0
	var reasons []string
	for _, u := range notified {
		m := map[string]any{"user_id": u.UserID, "message_id": u.MessageID, "status": u.Status, "to": u.To}
		if u.Reason != "" {
			m["reason"] = u.Reason
			reasons = append(reasons, "user "+u.UserID+": "+u.Reason)
		}
		if u.Status != "skipped" {
			delivered++
		}
		msgs = append(msgs, m)
	}
	res := Result{Output: map[string]any{"channel": c.Channel, "sent": delivered, "messages": msgs}}
	if delivered == 0 {
		res.Skipped, res.Reason = true, "no user could be notified: "+strings.Join(reasons, "; ")
	}
	return res, nil
}
