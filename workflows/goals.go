package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// goalWatch is a goal step of the definition and the events that meet it.
type goalWatch struct {
	stepID string
	events []steps.EventMatcher
}

// watchGoals lists the definition's goal steps, in definition order (the
// first goal an event meets wins).
func watchGoals(def *definition.Definition) []goalWatch {
	var out []goalWatch
	for i := range def.Steps {
		s := &def.Steps[i]
		k, ok := steps.Lookup(s.Type)
		g, isGoal := k.(steps.Goal)
		if !ok || !isGoal || s.Disabled {
			continue
		}
		out = append(out, goalWatch{stepID: s.ID, events: g.GoalEvents(s)})
	}
	return out
}

// pollGoals checks the events that arrived since the last look against the
// goals not met yet; the first one met interrupts what the run is doing
// (between steps, or in a wait) so that it jumps there.
func (r *run) pollGoals(ctx workflow.Context, s *definition.Step) error {
	if len(r.goals) == 0 {
		r.cursor.GoalSeq = r.cursor.LastSeq
		return nil
	}
	for _, ev := range r.eventsAfter(r.cursor.GoalSeq) {
		r.cursor.GoalSeq = ev.Seq
		var candidates []steps.EventMatcher
		var owners []string
		for _, g := range r.goals {
			if _, met := r.cursor.GoalsMet[g.stepID]; met {
				continue
			}
			for _, m := range g.events {
				candidates = append(candidates, m)
				owners = append(owners, g.stepID)
			}
		}
		i, err := r.firstMatching(ctx, s, ev, candidates)
		if err != nil {
			return err
		}
		if i >= 0 {
			if r.flowVersion >= flowEveryGoalMet {
				if err := r.meetOtherGoals(ctx, s, ev, owners[i], candidates[i+1:], owners[i+1:]); err != nil {
					return err
				}
			}
			return &interruption{kind: interruptGoal, goal: owners[i], event: ev}
		}
	}
	return nil
}

// meetOtherGoals marks the goals after the one the run jumps to that the
// same event meets too, so that reaching one of them later in sequence
// counts as met (a $200 order meets both "spent $50" and "spent $100").
func (r *run) meetOtherGoals(ctx workflow.Context, s *definition.Step, ev Event, jumped string, ms []steps.EventMatcher, owners []string) error {
	for {
		// The goal jumped to, and goals met already, are not asked again.
		var rest []steps.EventMatcher
		var restOwners []string
		for j, m := range ms {
			if _, met := r.cursor.GoalsMet[owners[j]]; owners[j] != jumped && !met {
				rest = append(rest, m)
				restOwners = append(restOwners, owners[j])
			}
		}
		i, err := r.firstMatching(ctx, s, ev, rest)
		if err != nil || i < 0 {
			return err
		}
		r.meetGoal(restOwners[i], ev)
		ms, owners = rest[i+1:], restOwners[i+1:]
	}
}

// firstMatching returns the first matcher the event meets, or -1: its type
// first, then its filters, which may read the contact and so are evaluated
// in a local activity (recorded, so a replay sees the same answer).
func (r *run) firstMatching(ctx workflow.Context, s *definition.Step, ev Event, ms []steps.EventMatcher) (int, error) {
	var conds []*condition.Node
	var index []int
	for i, m := range ms {
		if !m.MatchesType(ev) {
			continue
		}
		if condition.Empty(m.Filters) && len(conds) == 0 {
			return i, nil // the first candidate takes any event of its type ({} is no filter)
		}
		conds = append(conds, m.Filters)
		index = append(index, i)
	}
	if len(conds) == 0 {
		return -1, nil
	}
	j, err := r.evaluate(ctx, s, conds, &ev)
	if err != nil || j < 0 {
		return -1, err
	}
	return index[j], nil
}

// GoalMet is steps.Runtime.GoalMet.
func (rt *runtime) GoalMet(s *definition.Step) *steps.Event {
	if ev, ok := rt.r.cursor.GoalsMet[s.ID]; ok {
		return &ev
	}
	return nil
}

// reachGoal moves the run to a goal step whose event came.
func (r *run) reachGoal(goal string, ev Event) {
	r.meetGoal(goal, ev)
	r.cursor.StepID = goal
}

func (r *run) meetGoal(goal string, ev Event) {
	if r.cursor.GoalsMet == nil {
		r.cursor.GoalsMet = map[string]Event{}
	}
	r.cursor.GoalsMet[goal] = ev
}
