package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// stepRead is one read of steps.<id>: a condition's field or a template.
type stepRead struct {
	path string // of the field or the config string
	id   string
	// reader is the index of the step that reads it; -1 for trigger filters.
	reader int
	// anywhere: read wherever the contact is (a goal's filters), so any
	// step may have run before.
	anywhere bool
}

// warnStepReads warns of reads of steps.<id> (in a condition or a
// template) that can only ever be empty: no step has that id, that step is
// disabled, or it never runs before the read (trigger filters are checked
// before any step runs; otherwise no path leads from it to the reader).
// A typo in an id would otherwise read as empty at run time, silently.
func warnStepReads(p *validation.Problems, def *definition.Definition) {
	reads := collectStepReads(def)
	if len(reads) == 0 {
		return
	}
	index := def.StepIndex()
	before := precedence(def, index)
	for _, r := range reads {
		i, ok := index[r.id]
		var why string
		switch {
		case !ok:
			why = fmt.Sprintf("no step has the id %q", r.id)
		case def.Steps[i].Disabled:
			why = fmt.Sprintf("step %q is disabled: it never runs, so steps.%s is always empty", r.id, r.id)
		case r.reader < 0:
			why = fmt.Sprintf("trigger filters are checked before any step runs, so steps.%s is always empty here", r.id)
		case r.anywhere || before(i, r.reader):
			continue
		case i == r.reader:
			why = fmt.Sprintf("that is this step's own output, which is not there yet when it runs (no path leads back to it), so steps.%s is always empty here", r.id)
		default:
			why = fmt.Sprintf("step %q never runs before this step (no path leads from it to here), so steps.%s is always empty here", r.id, r.id)
		}
		p.Add(r.path, "reads steps.%s, but %s", r.id, why)
	}
}

// collectStepReads lists the reads of steps.<id> in trigger filters and in
// the steps that run (not disabled), in definition order.
func collectStepReads(def *definition.Definition) []stepRead {
	var reads []stepRead
	for i := range def.Triggers {
		treeReads(&reads, fmt.Sprintf("triggers[%d].filters", i), def.Triggers[i].Filters, -1, false)
	}
	for i := range def.Steps {
		s := &def.Steps[i]
		if s.Disabled {
			continue
		}
		at := fmt.Sprintf("steps[%d]", i)
		for _, c := range steps.Conditions(s) {
			treeReads(&reads, validation.JoinPath(at, c.Path), c.Tree, i, c.Anywhere)
		}
		templateReads(s, "steps", func(path, id string) {
			reads = append(reads, stepRead{path: validation.JoinPath(at, path), id: id, reader: i})
		})
	}
	return reads
}

// TemplatesRead says whether a template in the step's config reads
// root.<name> ("event": {{event.plan}}); condition trees and fields that
// are no templates (custom_code's code) are not read as templates.
func TemplatesRead(s *definition.Step, root string) bool {
	found := false
	templateReads(s, root, func(string, string) { found = true })
	return found
}

// templateReads calls fn with the config path and the name of each read of
// root.<name> in the templates of the step's config.
func templateReads(s *definition.Step, root string, fn func(path, name string)) {
	skip := steps.UntemplatedPaths(s) // not templates; nor are condition trees
	for _, c := range steps.Conditions(s) {
		skip = append(skip, c.Path)
	}
	var config any
	if len(s.Config) == 0 || json.Unmarshal(s.Config, &config) != nil {
		return
	}
	walkConfigStrings("config", config, skip, func(path, text string) {
		for _, name := range template.Reads(text, root) {
			fn(path, name)
		}
	})
}

// treeReads adds the leaves of a condition tree whose field is steps.<id>...
func treeReads(reads *[]stepRead, path string, n *condition.Node, reader int, anywhere bool) {
	if n == nil {
		return
	}
	for i, c := range n.All {
		treeReads(reads, fmt.Sprintf("%s.all[%d]", path, i), c, reader, anywhere)
	}
	for i, c := range n.Any {
		treeReads(reads, fmt.Sprintf("%s.any[%d]", path, i), c, reader, anywhere)
	}
	treeReads(reads, path+".not", n.Not, reader, anywhere)
	if rest, ok := strings.CutPrefix(n.Field, "steps."); ok {
		id, _, _ := strings.Cut(rest, ".")
		if id != "" {
			*reads = append(*reads, stepRead{path: path + ".field", id: id, reader: reader, anywhere: anywhere})
		}
	}
}

// walkConfigStrings calls fn with every string of a decoded config and its
// path, in a stable order, except those at or inside the skip paths.
func walkConfigStrings(path string, v any, skip []string, fn func(path, s string)) {
	for _, sp := range skip {
		if path == sp || strings.HasPrefix(path, sp+".") || strings.HasPrefix(path, sp+"[") {
			return
		}
	}
	switch v := v.(type) {
	case string:
		fn(path, v)
	case []any:
		for i, item := range v {
			walkConfigStrings(fmt.Sprintf("%s[%d]", path, i), item, skip, fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkConfigStrings(validation.JoinPath(path, k), v[k], skip, fn)
		}
	}
}

// precedence answers whether step i may have run before step j runs: some
// path of one step or more leads from i to j. Edges are a step's next and
// targets (only next when it is disabled: it is skipped), and a jump from
// every step to every goal, which the run takes when the goal's event
// comes wherever the contact is. What reaches j is found once per j.
func precedence(def *definition.Definition, index map[string]int) func(i, j int) bool {
	goals := []int{}
	for i := range def.Steps {
		if k, ok := steps.Lookup(def.Steps[i].Type); ok && !def.Steps[i].Disabled {
			if _, isGoal := k.(steps.Goal); isGoal {
				goals = append(goals, i)
			}
		}
	}
	into := make([][]int, len(def.Steps)) // into[j]: the steps with an edge to j
	for i := range def.Steps {
		s := &def.Steps[i]
		out := edges(s)
		if s.Disabled {
			out = nil
			if s.Next != "" {
				out = []edge{{"next", s.Next}}
			}
		}
		for _, e := range out {
			if j, ok := index[e.to]; ok {
				into[j] = append(into[j], i)
			}
		}
		for _, g := range goals {
			into[g] = append(into[g], i)
		}
	}
	reaching := map[int][]bool{}
	return func(i, j int) bool {
		seen, ok := reaching[j]
		if !ok {
			seen = make([]bool, len(def.Steps))
			stack := append([]int(nil), into[j]...)
			for len(stack) > 0 {
				k := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if seen[k] {
					continue
				}
				seen[k] = true
				stack = append(stack, into[k]...)
			}
			reaching[j] = seen
		}
		return seen[i]
	}
}
