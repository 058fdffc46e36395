package check

import (
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// MaxSteps bounds a definition; the interpreter stops a run that executes
// more than twice as many steps without waiting (a loop whose wait never waits).
const MaxSteps = 500

// edge is one way out of a step, with the path that names it.
type edge struct {
	path string
	to   string
}

// graph checks each step against its type, then the references between steps.
func graph(p *validation.Problems, def *definition.Definition) {
	index := map[string]int{}
	dups := map[string][]int{} // the later steps that repeat an indexed id
	isDup := make([]bool, len(def.Steps))
	// A value the graph is read from that was refused (Parse took it out:
	// a wrongly typed start, step, id, type, next or on_failure) leaves the
	// graph incomplete. Then the checks that need all of it, unreachable
	// steps and loops without a wait, are skipped: they would fault what
	// the user did write. A refused id (or step) also skips the checks that
	// a referenced id exists: the reference may name it.
	partial, idsRefused := p.WasRefused("start"), false
	for i := range def.Steps {
		for _, f := range []string{"", ".id", ".type", ".next", ".on_failure"} {
			if p.WasRefused(fmt.Sprintf("steps[%d]%s", i, f)) {
				partial = true
				idsRefused = idsRefused || f == "" || f == ".id"
			}
		}
	}
	for i := range def.Steps {
		s := &def.Steps[i]
		sp := p.At(fmt.Sprintf("steps[%d]", i))
		switch _, dup := index[s.ID]; {
		case !idPattern.MatchString(s.ID):
			sp.Add("id", "is required: 1 to 64 letters, digits, _ or -")
		case dup:
			sp.Add("id", "duplicate step id %q", s.ID)
			dups[s.ID] = append(dups[s.ID], i)
			isDup[i] = true
		default:
			index[s.ID] = i
		}
		kind, ok := steps.Lookup(s.Type)
		switch {
		case ok:
			kind.Validate(sp, s)
		case steps.Planned[s.Type]:
			sp.Add("type", "step type %q is not available in this version yet", s.Type)
			continue
		case s.Type == "":
			sp.Add("type", "is required")
			continue
		default:
			sp.Add("type", "unknown step type %q", s.Type)
			continue
		}
		if _, isAction := kind.(steps.Action); isAction {
			failure(sp, s)
		} else {
			if s.Retry != nil {
				sp.Add("retry", "only action steps take retry")
			}
			if s.OnFailure != "" {
				sp.Add("on_failure", "only action steps take on_failure")
			}
		}
	}
	if def.Start == "" {
		p.Add("start", "is required: the id of the first step")
	}
	if len(def.Steps) == 0 {
		p.Add("steps", "at least one step is required")
		return
	}
	if len(def.Steps) > MaxSteps {
		p.Add("steps", "a workflow has at most %d steps, not %d: split it with add_to_workflow", MaxSteps, len(def.Steps))
	}
	if _, ok := index[def.Start]; !ok && def.Start != "" {
		if !idsRefused {
			p.Add("start", "no step has id %q", def.Start)
		}
		partial = true // nothing to walk the graph from
	}
	out := make([][]edge, len(def.Steps))
	for i := range def.Steps {
		out[i] = edges(&def.Steps[i])
		for _, e := range out[i] {
			if _, ok := index[e.to]; !ok && !idsRefused {
				p.Add(fmt.Sprintf("steps[%d].%s", i, e.path), "no step has id %q", e.to)
			}
		}
	}
	// A refused value inside a step's config (a branch list of the wrong
	// type, a mis-cased "Next") may hold targets too: the graph is partial.
	for i := range def.Steps {
		partial = partial || p.RefusedWithin(fmt.Sprintf("steps[%d].config", i)) || p.WasRefused(fmt.Sprintf("steps[%d].config", i))
	}
	if def.Start == "" || partial {
		return
	}
	reached := reachable(def, index, dups, out)
	for i := range def.Steps {
		// A duplicate id is named as such, not also as unreachable.
		if !reached[i] && def.Steps[i].ID != "" && !isDup[i] {
			p.Add(fmt.Sprintf("steps[%d]", i), "step %q is unreachable from start %q", def.Steps[i].ID, def.Start)
		}
	}
	loopsWithoutWait(p, def, index, out)
}

func failure(p *validation.Problems, s *definition.Step) {
	if r := s.Retry; r != nil {
		if r.MaxAttempts < 0 || r.MaxAttempts > 100 {
			p.Add("retry.max_attempts", "must be between 1 and 100")
		}
		if r.Backoff != 0 && (r.Backoff < 1 || r.Backoff > 10) {
			p.Add("retry.backoff", "must be between 1 and 10")
		}
		if r.InitialInterval != "" {
			if _, err := durations.Parse(r.InitialInterval); err != nil {
				p.Add("retry.initial_interval", "%s", err.Error())
			}
		}
	}
}

func edges(s *definition.Step) []edge {
	var out []edge
	if s.Next != "" {
		out = append(out, edge{"next", s.Next})
	}
	if s.OnFailure != "" && s.OnFailure != "fail" && s.OnFailure != "continue" {
		out = append(out, edge{"on_failure", s.OnFailure})
	}
	if k, ok := steps.Lookup(s.Type); ok {
		for _, t := range k.Targets(s) {
			out = append(out, edge{t.Path, t.StepID})
		}
	}
	return out
}

// reachable marks the steps reached from start. A step that repeats the id
// of a reached one counts as reached, and so do the steps it leads to: they
// are not unreachable, only behind an id that is named as a duplicate.
func reachable(def *definition.Definition, index map[string]int, dups map[string][]int, out [][]edge) []bool {
	seen := make([]bool, len(def.Steps))
	stack := []int{index[def.Start]}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		stack = append(stack, dups[def.Steps[i].ID]...)
		for _, e := range out[i] {
			if j, ok := index[e.to]; ok && !seen[j] {
				stack = append(stack, j)
			}
		}
	}
	return seen
}

// waiter is a kind that lets time pass (a wait), which makes a loop safe.
type waiter interface{ Waits(s *definition.Step) bool }

// loopsWithoutWait refuses cycles in which no step waits: such a loop would
// spin through sends as fast as the worker can run them.
func loopsWithoutWait(p *validation.Problems, def *definition.Definition, index map[string]int, out [][]edge) {
	waits := func(i int) bool {
		k, ok := steps.Lookup(def.Steps[i].Type)
		w, isWaiter := k.(waiter)
		return ok && isWaiter && w.Waits(&def.Steps[i]) && !def.Steps[i].Disabled
	}
	// Depth-first search over steps that do not wait: any back edge closes a
	// cycle made only of non-waiting steps.
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(def.Steps))
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		for _, e := range out[i] {
			j, ok := index[e.to]
			if !ok || waits(j) {
				continue
			}
			switch color[j] {
			case grey:
				p.Add(fmt.Sprintf("steps[%d].%s", i, e.path), "this leads back to step %q in a loop with no step that waits "+
					"(a wait until a fixed time does not: it has passed once the loop comes round); add a wait so the loop cannot spin", e.to)
			case white:
				visit(j)
			}
		}
		color[i] = black
	}
	for i := range def.Steps {
		if color[i] == white && !waits(i) {
			visit(i)
		}
	}
}
