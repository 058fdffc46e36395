package steps

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { waitModes["delay"] = delayMode{} }

// delayMode waits a fixed duration ("3d"), or one read from a field or a
// template ("{{contact.custom.follow_up_days}}d").
type delayMode struct{}

func (delayMode) fields() []string { return []string{"duration"} }

func (delayMode) validate(p *validation.Problems, c *waitConfig) {
	if !required(p, "config.duration", c.Duration) {
		return
	}
	if template.IsTemplate(c.Duration) {
		checkTemplate(p, "config.duration", c.Duration)
		return
	}
	validDuration(p, "config.duration", c.Duration)
}

func (delayMode) targets(*waitConfig) []Target { return nil }

func (delayMode) run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error) {
	text := c.Duration
	if template.IsTemplate(text) {
		res, err := rt.Resolve(ctx, s, ResolveRequest{Templates: map[string]string{"duration": text}})
		if err != nil {
			return Outcome{}, err
		}
		text = strings.TrimSpace(res.Rendered["duration"])
	}
	d, err := durations.Parse(text)
	if err != nil {
		return Outcome{}, fail("config.duration: %v", err)
	}
	if d < 0 || d > maxWait {
		return Outcome{}, fail("config.duration: %q is not between 0 and 5 years", text)
	}
	if _, err := rt.Wait(ctx, s, WaitSpec{Until: rt.WaitStarted(ctx, s).Add(d), Reason: "a delay of " + text}); err != nil {
		return Outcome{}, err
	}
	return Outcome{Next: s.Next, Output: map[string]any{"waited": text}}, nil
}
