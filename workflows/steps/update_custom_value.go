package steps

import (
	"context"
	"fmt"

	"github.com/crmflow/crmflow/internal/customvalues"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(updateCustomValue{}) }

type updateCustomValueConfig struct {
	// Key is fixed (not a template): a workflow should say on save which
	// account-wide value it changes.
	Key   string    `json:"key"`
	Value textValue `json:"value"`
}

// updateCustomValue sets an account-wide custom value, creating the key
// when the account does not have it yet; every later step of any workflow
// of the account reads the new value.
type updateCustomValue struct{ noTargets }

func (updateCustomValue) Type() string      { return "update_custom_value" }
func (updateCustomValue) Remote() bool      { return false }
func (updateCustomValue) ContactFree() bool { return true }

func (updateCustomValue) Validate(p *validation.Problems, s *definition.Step) {
	var c updateCustomValueConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.key", c.Key) {
		if err := customvalues.CheckKey(c.Key); err != nil {
			p.Add("config.key", "%s", err.Error())
		}
	}
	// An empty value is allowed: it clears the value.
	checkTemplateValue(p, "config.value", c.Value)
}

func (updateCustomValue) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c updateCustomValueConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	value, err := call.Render(string(c.Value))
	if err != nil {
		return Result{}, fail("config.value: %v", err)
	}
	if len(value) > customvalues.MaxValueLen {
		return Result{}, fail("config.value: the rendered value is %d bytes, more than the %d a custom value holds", len(value), customvalues.MaxValueLen)
	}
	if err := env.SetCustomValue(ctx, call, c.Key, value); err != nil {
		return Result{}, fmt.Errorf("setting custom value %s: %w", c.Key, err)
	}
	return Result{Output: map[string]any{"key": c.Key, "value": value}}, nil
}
