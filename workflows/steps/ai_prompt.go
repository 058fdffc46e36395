package steps

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(aiPrompt{}) }

type aiPromptConfig struct {
	Prompt string `json:"prompt"`
	Model  string `json:"model"`
	// Temperature is 0 to 2; the endpoint's own default when unset.
	Temperature *float64 `json:"temperature,omitempty"`
	// System is optional instructions sent before the prompt.
	System string `json:"system,omitempty"`
}

// maxPromptLen caps a rendered prompt: a template that pulls in a whole
// webhook answer should fail clearly rather than send megabytes.
const maxPromptLen = 100_000

// aiPrompt asks an OpenAI-compatible chat model and keeps its reply as
// steps.<id>.response.
type aiPrompt struct{ noTargets }

func (aiPrompt) Type() string      { return "ai_prompt" }
func (aiPrompt) Remote() bool      { return true }
func (aiPrompt) ContactFree() bool { return true }

func (aiPrompt) Validate(p *validation.Problems, s *definition.Step) {
	var c aiPromptConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.prompt", c.Prompt) {
		checkTemplate(p, "config.prompt", c.Prompt)
	}
	if required(p, "config.model", c.Model) {
		checkTemplate(p, "config.model", c.Model)
	}
	checkTemplate(p, "config.system", c.System)
	if t := c.Temperature; t != nil && (*t < 0 || *t > 2 || math.IsNaN(*t)) {
		p.Add("config.temperature", "must be from 0 to 2, not %v", *t)
	}
}

func (aiPrompt) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c aiPromptConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	req := ChatRequest{Temperature: c.Temperature}
	for _, f := range []struct {
		path, tmpl string
		dst        *string
	}{{"config.prompt", c.Prompt, &req.Prompt}, {"config.model", c.Model, &req.Model}, {"config.system", c.System, &req.System}} {
		v, err := call.Render(f.tmpl)
		if err != nil {
			return Result{}, fail("%s: %v", f.path, err)
		}
		*f.dst = v
	}
	req.Model = strings.TrimSpace(req.Model)
	switch {
	case strings.TrimSpace(req.Prompt) == "":
		return Result{}, fail("config.prompt: the prompt rendered empty")
	case req.Model == "":
		return Result{}, fail("config.model: the model rendered empty")
	case len(req.Prompt) > maxPromptLen:
		return Result{}, fail("config.prompt: the rendered prompt is %d bytes, more than %d", len(req.Prompt), maxPromptLen)
	}
	reply, err := env.Chat(ctx, call, req)
	if err != nil {
		return Result{}, fmt.Errorf("asking %s: %w", req.Model, err)
	}
	out := map[string]any{"response": reply.Text, "model": reply.Model}
	if reply.FinishReason != "" {
		out["finish_reason"] = reply.FinishReason
	}
	if reply.Usage != nil {
		out["usage"] = reply.Usage
	}
	return Result{Output: out}, nil
}
