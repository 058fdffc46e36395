package steps

import (
	"fmt"
	"hash/fnv"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(split{}) }

type splitConfig struct {
	Paths []splitPath `json:"paths"`
}

type splitPath struct {
	Name string `json:"name"`
	// Percent is required (a path without one is refused, not taken as 0%).
	Percent *int   `json:"percent"`
	Next    string `json:"next,omitempty"`
}

// share is the path's percentage; validation made sure it is given.
func (p splitPath) share() int {
	if p.Percent == nil {
		return 0
	}
	return *p.Percent
}

// split sends each contact down one of A/B/n paths by percentage. The
// choice hashes (workflow, contact), not a random draw: the same contact
// always takes the same path, on replay and on re-entry alike.
type split struct{}

func (split) Type() string { return "split" }

func (split) Validate(p *validation.Problems, s *definition.Step) {
	var c splitConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if len(c.Paths) < 2 {
		p.Add("config.paths", "at least two paths are required")
	}
	sum := 0
	names := map[string]bool{}
	for i, path := range c.Paths {
		pp := p.At(fmt.Sprintf("config.paths[%d]", i))
		if required(pp, "name", path.Name) {
			if names[path.Name] {
				pp.Add("name", "duplicate path name %q", path.Name)
			}
			names[path.Name] = true
		}
		switch {
		case path.Percent == nil:
			pp.Add("percent", "is required")
		case *path.Percent < 0 || *path.Percent > 100:
			pp.Add("percent", "must be between 0 and 100")
		}
		sum += path.share()
	}
	if len(c.Paths) > 0 && sum != 100 {
		p.Add("config.paths", "percentages add up to %d, not 100", sum)
	}
	if s.Next != "" {
		p.Add("next", "split leads on through its paths, not next")
	}
}

func (split) Targets(s *definition.Step) []Target {
	var c splitConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	var out []Target
	for i, path := range c.Paths {
		if path.Next != "" {
			out = append(out, Target{Path: fmt.Sprintf("config.paths[%d].next", i), StepID: path.Next})
		}
	}
	return out
}

func (split) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c splitConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	i := choosePath(c.Paths, Bucket(rt.StickyKey()+"/"+s.ID))
	return Outcome{Next: c.Paths[i].Next, Output: map[string]any{"branch": c.Paths[i].Name}}, nil
}

// Bucket maps a key to 0..99, evenly and the same on every machine.
func Bucket(key string) int {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int(h.Sum64() % 100)
}

// choosePath takes the path whose cumulative share covers the bucket.
func choosePath(paths []splitPath, bucket int) int {
	acc := 0
	for i, p := range paths {
		acc += p.share()
		if bucket < acc {
			return i
		}
	}
	return len(paths) - 1
}
