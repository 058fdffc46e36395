package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(addNote{}) }

type addNoteConfig struct {
	Body string `json:"body"`
}

// addNote writes a note on the contact; note_added fires like for a note
// written through the API.
type addNote struct{ noTargets }

func (addNote) Type() string { return "add_note" }
func (addNote) Remote() bool { return false }

func (addNote) Validate(p *validation.Problems, s *definition.Step) {
	var c addNoteConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.body", c.Body) {
		checkTemplate(p, "config.body", c.Body)
	}
}

func (addNote) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c addNoteConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	body, err := call.Render(c.Body)
	if err != nil {
		return Result{}, fmt.Errorf("config.body: %w", err)
	}
	if strings.TrimSpace(body) == "" {
		return Result{Skipped: true, Reason: "config.body rendered empty: no note was written"}, nil
	}
	id, err := env.AddNote(ctx, call, body)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"note_id": id}}, nil
}
