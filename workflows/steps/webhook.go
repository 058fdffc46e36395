package steps

import (
	"context"
	"fmt"
	"net/url"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(webhook{}) }

type webhookConfig struct {
	URL string `json:"url"`
}

// webhook POSTs the contact and the triggering event as JSON; 5xx, 429 and
// network errors are retried with backoff by the activity's retry policy.
type webhook struct{ noTargets }

func (webhook) Type() string { return "webhook" }
func (webhook) Remote() bool { return true }

func (webhook) Validate(p *validation.Problems, s *definition.Step) {
	var c webhookConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if !required(p, "config.url", c.URL) {
		return
	}
	if template.IsTemplate(c.URL) {
		checkTemplate(p, "config.url", c.URL)
		return
	}
	if err := checkURL(c.URL); err != nil {
		p.Add("config.url", "%s", err.Error())
	}
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

func (webhook) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c webhookConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	u, err := call.Render(c.URL)
	if err != nil {
		return Result{}, fmt.Errorf("config.url: %w", err)
	}
	if err := checkURL(u); err != nil {
		return Result{}, fmt.Errorf("config.url: %w", err)
	}
	body := map[string]any{
		"workflow_id":   call.WorkflowID,
		"enrollment_id": call.EnrollmentID,
		"step_id":       call.Step.ID,
		"contact":       call.Scope["contact"],
		"event":         call.Scope["event"],
	}
	resp, err := env.PostJSON(ctx, call, u, body)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"response": map[string]any{
		"status": resp.Status, "headers": resp.Headers, "body": resp.Body,
	}}}, nil
}
