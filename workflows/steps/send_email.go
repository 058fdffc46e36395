package steps

import (
	"context"
	"net/mail"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(sendEmail{}) }

// sendEmailConfig is send_email's config.
type sendEmailConfig struct {
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	Text      string `json:"text,omitempty"`
	FromName  string `json:"from_name,omitempty"`
	FromEmail string `json:"from_email,omitempty"`
}

// sendEmail emails the contact (SMTP, or recorded when no server is set).
type sendEmail struct{ noTargets }

func (sendEmail) Type() string { return "send_email" }
func (sendEmail) Remote() bool { return true }

// Communicates: settings.time_window holds emails until the window opens.
func (sendEmail) Communicates() bool { return true }

func (sendEmail) Validate(p *validation.Problems, s *definition.Step) {
	var c sendEmailConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.subject", c.Subject) {
		checkTemplate(p, "config.subject", c.Subject)
	}
	if required(p, "config.body", c.Body) {
		checkTemplate(p, "config.body", c.Body)
	}
	checkTemplate(p, "config.text", c.Text)
	checkTemplate(p, "config.from_name", c.FromName)
	if template.IsTemplate(c.FromEmail) {
		checkTemplate(p, "config.from_email", c.FromEmail)
	} else if c.FromEmail != "" {
		if a, err := mail.ParseAddress(c.FromEmail); err != nil || a.Address != strings.TrimSpace(c.FromEmail) {
			p.Add("config.from_email", "%q is not an email address (write the name in from_name)", c.FromEmail)
		}
	}
}

// UnsubscribeURLMarker is what {{unsubscribe_url}} renders to in an email:
// the URL names the message, which exists only once the send ledger has
// it, so the sender replaces the marker with the message's own
// unsubscribe URL (or nothing, when no tracking is configured).
const UnsubscribeURLMarker = "urn:crmflow:unsubscribe_url"

func (sendEmail) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c sendEmailConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	m := Email{}
	scope := make(map[string]any, len(call.Scope)+1)
	for k, v := range call.Scope {
		scope[k] = v
	}
	scope["unsubscribe_url"] = UnsubscribeURLMarker
	for _, f := range []struct {
		path string
		src  string
		dst  *string
	}{
		{"config.subject", c.Subject, &m.Subject}, {"config.body", c.Body, &m.HTML}, {"config.text", c.Text, &m.Text},
		{"config.from_name", c.FromName, &m.FromName}, {"config.from_email", c.FromEmail, &m.FromEmail},
	} {
		v, err := template.Render(f.src, scope)
		if err != nil {
			return Result{}, fail("%s: %w", f.path, err) // the same data fails every retry
		}
		*f.dst = v
	}
	if m.FromName == "" {
		m.FromName = call.Settings.Sender.FromName
	}
	if m.FromEmail == "" {
		m.FromEmail = call.Settings.Sender.FromEmail
	}
	// Neither: the provider's default sender (SMTP_FROM).
	m.FromName, m.FromEmail = strings.TrimSpace(m.FromName), strings.TrimSpace(m.FromEmail)
	sent, err := env.SendEmail(ctx, call, m)
	if err != nil {
		return Result{}, err
	}
	return messageResult(sent), nil
}
