package steps

import (
	"context"
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
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
	checkTemplate(p, "config.from_email", c.FromEmail)
}

func (sendEmail) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c sendEmailConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	m := Email{}
	for _, f := range []struct {
		path string
		src  string
		dst  *string
	}{
		{"config.subject", c.Subject, &m.Subject}, {"config.body", c.Body, &m.HTML}, {"config.text", c.Text, &m.Text},
		{"config.from_name", c.FromName, &m.FromName}, {"config.from_email", c.FromEmail, &m.FromEmail},
	} {
		v, err := call.Render(f.src)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.path, err)
		}
		*f.dst = v
	}
	if m.FromName == "" {
		m.FromName = call.Settings.Sender.FromName
	}
	if m.FromEmail == "" {
		m.FromEmail = call.Settings.Sender.FromEmail
	}
	sent, err := env.SendEmail(ctx, call, m)
	if err != nil {
		return Result{}, err
	}
	return messageResult(sent), nil
}
