package check

import (
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Warnings lists what in a definition is allowed but may not do what its
// author means, each named by path like a fault: e.g. a wait for an event
// with no timeout, where a contact may wait forever. Each step kind says
// its own (steps.Warner); disabled steps never run and are left out.
// Reads of steps.<id> that can only be empty are warned of too
// (warnStepReads). Warnings never block save or publish. The answer is
// never nil, so that it reads as [] in JSON when there is none.
func Warnings(def *definition.Definition) []validation.FieldError {
	p := validation.NewProblems()
	for i := range def.Steps {
		s := &def.Steps[i]
		if s.Disabled {
			continue
		}
		k, ok := steps.Lookup(s.Type)
		if !ok {
			continue
		}
		if w, ok := k.(steps.Warner); ok {
			w.Warn(p.At(fmt.Sprintf("steps[%d]", i)), s)
		}
	}
	warnStepReads(p, def)
	out := []validation.FieldError(p.Errors())
	if out == nil {
		out = []validation.FieldError{}
	}
	return out
}
