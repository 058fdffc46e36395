package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(addTask{}) }

type addTaskConfig struct {
	Title      string `json:"title"`
	Body       string `json:"body,omitempty"`
	AssigneeID string `json:"assignee_id,omitempty"`
	DueIn      string `json:"due_in,omitempty"` // a duration from when the step runs ("2d"); not a template
}

// maxDueIn catches typos ("200w") the way waits do.
const maxDueIn = 5 * 365 * 24 * time.Hour

// addTask gives the contact a task, maybe assigned to a user and due some
// time after the step runs; task_added fires like for a task made through
// the API.
type addTask struct{ noTargets }

func (addTask) Type() string { return "add_task" }
func (addTask) Remote() bool { return false }

// References names the assignee.
func (addTask) References(s *definition.Step) []Reference {
	var c addTaskConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return literalRef(nil, "config.assignee_id", RefUser, c.AssigneeID)
}

func (addTask) Validate(p *validation.Problems, s *definition.Step) {
	var c addTaskConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.title", c.Title) {
		checkTemplate(p, "config.title", c.Title)
	}
	checkTemplate(p, "config.body", c.Body)
	checkTemplate(p, "config.assignee_id", c.AssigneeID)
	if c.DueIn != "" {
		d, err := durations.Parse(c.DueIn)
		switch {
		case err != nil:
			p.Add("config.due_in", "%s", err.Error())
		case d <= 0:
			p.Add("config.due_in", "must be longer than zero (leave it out for no due date)")
		case d > maxDueIn:
			p.Add("config.due_in", "is more than 5 years (1825d); almost surely a typo")
		}
	}
}

func (addTask) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c addTaskConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	var t NewTask
	for _, f := range []struct {
		path, tmpl string
		dst        *string
	}{{"config.title", c.Title, &t.Title}, {"config.body", c.Body, &t.Body}, {"config.assignee_id", c.AssigneeID, &t.AssigneeID}} {
		v, err := call.Render(f.tmpl)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.path, err)
		}
		*f.dst = strings.TrimSpace(v)
	}
	if t.Title == "" {
		return Result{Skipped: true, Reason: "config.title rendered empty: no task was added"}, nil
	}
	if c.DueIn != "" {
		d, err := durations.Parse(c.DueIn)
		if err != nil {
			return Result{}, fmt.Errorf("config.due_in: %w", err)
		}
		t.DueIn = d
	}
	task, err := env.AddTask(ctx, call, t)
	if err != nil {
		return Result{}, err
	}
	out := map[string]any{"task_id": task.ID, "due_at": ""}
	if task.DueAt != nil {
		out["due_at"] = task.DueAt.UTC().Format(time.RFC3339)
	}
	return Result{Output: out}, nil
}
