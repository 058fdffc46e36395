package steps

import (
	"context"
	"fmt"
	"net/url"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(sendSMS{}) }

// sendSMSConfig is send_sms's config.
type sendSMSConfig struct {
	Body      string   `json:"body"`
	From      string   `json:"from,omitempty"`
	MediaURLs []string `json:"media_urls,omitempty"`
}

// sendSMS texts the contact (Twilio, or recorded when no provider is set).
type sendSMS struct{ noTargets }

func (sendSMS) Type() string { return "send_sms" }
func (sendSMS) Remote() bool { return true }

// Communicates: settings.time_window holds texts until the window opens.
func (sendSMS) Communicates() bool { return true }

func (sendSMS) Validate(p *validation.Problems, s *definition.Step) {
	var c sendSMSConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.body", c.Body) {
		checkTemplate(p, "config.body", c.Body)
	}
	if template.IsTemplate(c.From) {
		checkTemplate(p, "config.from", c.From)
	} else if _, err := ParseSMSSender(c.From, "US"); err != nil {
		// Saved numbers without a country code are read as US numbers
		// here; at send time the installation's default region applies.
		p.Add("config.from", "%s", err.Error())
	}
	for i, u := range c.MediaURLs {
		path := fmt.Sprintf("config.media_urls[%d]", i)
		if template.IsTemplate(u) {
			checkTemplate(p, path, u)
		} else if !isHTTPURL(u) {
			p.Add(path, "%q is not an http(s) URL", u)
		}
	}
}

func (sendSMS) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c sendSMSConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	body, err := call.Render(c.Body)
	if err != nil {
		return Result{}, fmt.Errorf("config.body: %w", err)
	}
	from, err := call.Render(c.From)
	if err != nil {
		return Result{}, fmt.Errorf("config.from: %w", err)
	}
	if from == "" {
		from = call.Settings.Sender.FromNumber
	}
	media := make([]string, 0, len(c.MediaURLs))
	for i, m := range c.MediaURLs {
		u, err := call.Render(m)
		if err != nil {
			return Result{}, fmt.Errorf("config.media_urls[%d]: %w", i, err)
		}
		if !isHTTPURL(u) {
			return Result{}, fmt.Errorf("config.media_urls[%d]: %q is not an http(s) URL", i, u)
		}
		media = append(media, u)
	}
	sent, err := env.SendSMS(ctx, call, SMS{From: from, Body: body, MediaURLs: media})
	if err != nil {
		return Result{}, err
	}
	return messageResult(sent), nil
}

func messageResult(s Sent) Result {
	out := map[string]any{"message_id": s.MessageID, "status": s.Status, "to": s.To}
	if s.ProviderID != "" {
		out["provider_id"] = s.ProviderID
	}
	return Result{Output: out, Skipped: s.Status == "skipped", Reason: s.Reason}
}

// isHTTPURL reports an absolute http(s) URL, what Twilio fetches media from.
func isHTTPURL(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && (pu.Scheme == "https" || pu.Scheme == "http") && pu.Host != ""
}
