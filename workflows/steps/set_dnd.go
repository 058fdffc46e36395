package steps

import (
	"context"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(setDND{}) }

type setDNDConfig struct {
	Channel string `json:"channel"` // sms, email or all; not a template
	Value   *bool  `json:"value"`
}

// setDND turns the contact's do-not-disturb on or off for a channel, through
// the contacts service, so each flag that changes raises contact_dnd_changed.
type setDND struct{ noTargets }

func (setDND) Type() string { return "set_dnd" }
func (setDND) Remote() bool { return false }

func (setDND) Validate(p *validation.Problems, s *definition.Step) {
	var c setDNDConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	switch c.Channel {
	case "sms", "email", "all":
	case "":
		p.Add("config.channel", "is required: sms, email or all")
	default:
		p.Add("config.channel", "must be sms, email or all")
	}
	if c.Value == nil {
		p.Add("config.value", "is required: true turns do-not-disturb on, false turns it off")
	}
}

func (setDND) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c setDNDConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	value := c.Value != nil && *c.Value
	changed, err := env.SetDND(ctx, call, c.Channel, value)
	if err != nil {
		return Result{}, err
	}
	if changed == nil {
		changed = []string{}
	}
	return Result{Output: map[string]any{"channel": c.Channel, "value": value, "changed": changed}}, nil
}
