package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(assignUser{}) }

// Assignment modes of assign_user.
const (
	AssignRoundRobin = "round_robin" // the next user in turn, per (workflow, step)
	AssignFirst      = "first"       // the first listed user that still exists
)

type assignUserConfig struct {
	UserIDs []string `json:"user_ids"`
	Mode    string   `json:"mode,omitempty"` // not a template; default round_robin
}

// assignUser assigns the contact to a user of the account. Round robin
// takes turns fairly across all enrollments (a counter per workflow and
// step, in the database); first always picks the first listed user, falling
// back to the next when a user was deleted. Users deleted since the workflow
// was saved are passed over; the step fails when none is left.
type assignUser struct{ noTargets }

func (assignUser) Type() string { return "assign_user" }
func (assignUser) Remote() bool { return false }

// References names the listed users.
func (assignUser) References(s *definition.Step) []Reference {
	var c assignUserConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return userRefs(c.UserIDs)
}

func (assignUser) Validate(p *validation.Problems, s *definition.Step) {
	var c assignUserConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if len(c.UserIDs) == 0 {
		p.Add("config.user_ids", "at least one user id is required")
	}
	for i, id := range c.UserIDs {
		path := fmt.Sprintf("config.user_ids[%d]", i)
		if required(p, path, id) {
			checkTemplate(p, path, id)
		}
	}
	switch c.Mode {
	case "", AssignRoundRobin, AssignFirst:
	default:
		p.Add("config.mode", "must be %s or %s", AssignRoundRobin, AssignFirst)
	}
}

func (assignUser) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c assignUserConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	ids := make([]string, 0, len(c.UserIDs))
	for i, id := range c.UserIDs {
		v, err := call.Render(id)
		if err != nil {
			return Result{}, fmt.Errorf("config.user_ids[%d]: %w", i, err)
		}
		if v = strings.TrimSpace(v); v != "" {
			ids = append(ids, v)
		}
	}
	mode := c.Mode
	if mode == "" {
		mode = AssignRoundRobin
	}
	user, previous, err := env.AssignUser(ctx, call, ids, mode)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"user_id": user, "previous_user_id": previous, "mode": mode}}, nil
}
