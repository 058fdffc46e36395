package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/script"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(customCode{}) }

type customCodeConfig struct {
	// Code is JavaScript, not a template: {{ }} in it is JavaScript's own.
	Code string `json:"code"`
	// Inputs are templated strings the code reads as inputs.<name>.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// customCode runs the builder's JavaScript in a sandbox (workflows/script):
// inputs in, an object out as steps.<id>.output. A syntax error, an
// exception, the 2s time limit or the memory guard fail the step at once
// with the JavaScript message and line: running it again would do the same.
type customCode struct{ noTargets }

func (customCode) Type() string      { return "custom_code" }
func (customCode) Remote() bool      { return false } // no network: a local activity
func (customCode) ContactFree() bool { return true }

// UntemplatedPaths: the code is JavaScript, whose {{ }} is its own.
func (customCode) UntemplatedPaths() []string { return []string{"config.code"} }

func (customCode) Validate(p *validation.Problems, s *definition.Step) {
	var c customCodeConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.code", c.Code) {
		if _, err := script.Compile(c.Code, script.DefaultLimits); err != nil {
			p.Add("config.code", "%s", err.Error())
		}
	}
	for _, k := range sortedKeys(c.Inputs) {
		checkTemplate(p, validation.JoinPath("config.inputs", k), c.Inputs[k])
	}
}

func (customCode) Execute(ctx context.Context, _ Env, call *Call) (Result, error) {
	var c customCodeConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	inputs := make(map[string]string, len(c.Inputs))
	for _, k := range sortedKeys(c.Inputs) {
		v, err := call.Render(c.Inputs[k])
		if err != nil {
			return Result{}, fail("%s: %v", validation.JoinPath("config.inputs", k), err)
		}
		inputs[k] = v
	}
	out, err := script.Run(ctx, c.Code, inputs, script.DefaultLimits)
	if err != nil {
		var se *script.Error
		switch {
		case errors.As(err, &se) && se.Kind == "cancelled":
			return Result{}, err // the activity is being cancelled: not the code's fault
		case errors.As(err, &se):
			return Result{}, fail("config.code: %v", err)
		}
		return Result{}, fmt.Errorf("running the code: %w", err)
	}
	return Result{Output: map[string]any{"output": out}}, nil
}
