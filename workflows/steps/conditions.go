package steps

import (
	"fmt"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
)

// Conditioner is a kind whose config holds condition trees (if/else
// branches, a condition wait, event filters), for checks that read every
// tree of a definition (check.Warnings). Conditions runs on configs that
// Validate may have faulted: read them with readConfig.
type Conditioner interface {
	Conditions(s *definition.Step) []Condition
}

// Condition is a condition tree in a step's config.
type Condition struct {
	Path string // relative to the step, e.g. "config.branches[0].when"
	Tree *condition.Node
	// Anywhere: the tree is checked wherever the contact is in the graph
	// (a goal's events), not only when the step itself runs.
	Anywhere bool
}

// Conditions lists the condition trees of step s; nil for kinds that have none.
func Conditions(s *definition.Step) []Condition {
	k, ok := Lookup(s.Type)
	if !ok {
		return nil
	}
	if c, ok := k.(Conditioner); ok {
		return c.Conditions(s)
	}
	return nil
}

// matcherConditions are the filters of a list of {"type","filters"} at path.
func matcherConditions(path string, ms []EventMatcher, anywhere bool) []Condition {
	var out []Condition
	for i, m := range ms {
		if !condition.Empty(m.Filters) {
			out = append(out, Condition{Path: fmt.Sprintf("%s[%d].filters", path, i), Tree: m.Filters, Anywhere: anywhere})
		}
	}
	return out
}

// Untemplated is a kind with config strings that are not templates (a
// custom_code's JavaScript, where {{ }} is the code's own), for checks that
// read every template of a config.
type Untemplated interface {
	// UntemplatedPaths are those strings' paths, relative to the step.
	UntemplatedPaths() []string
}

// UntemplatedPaths lists the config strings of step s that are not templates.
func UntemplatedPaths(s *definition.Step) []string {
	if k, ok := Lookup(s.Type); ok {
		if u, ok := k.(Untemplated); ok {
			return u.UntemplatedPaths()
		}
	}
	return nil
}
