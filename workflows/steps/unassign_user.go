package steps

import (
	"context"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(unassignUser{}) }

type unassignUserConfig struct{}

// unassignUser clears the contact's assigned user (contact_changed reports
// assigned_user_id when there was one).
type unassignUser struct{ noTargets }

func (unassignUser) Type() string { return "unassign_user" }
func (unassignUser) Remote() bool { return false }

func (unassignUser) Validate(p *validation.Problems, s *definition.Step) {
	var c unassignUserConfig
	decodeConfig(p, s.Config, &c)
}

func (unassignUser) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	previous, err := env.UnassignUser(ctx, call)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"previous_user_id": previous}}, nil
}
