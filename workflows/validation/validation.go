// Package validation collects faults in user input, each named by its JSON path.
package validation

import (
	"fmt"
	"strings"
)

// FieldError is one fault, named by its JSON path (e.g. steps[2].config.duration).
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Errors is every fault found in a definition.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Path + ": " + f.Message
	}
	return "invalid workflow definition: " + strings.Join(parts, "; ")
}

// Problems collects faults while walking a definition, keeping the current
// JSON path so that nested checks can name where they are.
type Problems struct {
	prefix  string
	errs    *Errors
	refused *[]refusal
}

// refusal is a value already refused (Refused) and left out of later checks.
type refusal struct{ path, floor string }

// NewProblems starts an empty collection rooted at the document.
func NewProblems() *Problems { return &Problems{errs: &Errors{}, refused: &[]refusal{}} }

// At returns a collector for a sub-path: At("steps[2]").At("config").
func (p *Problems) At(path string) *Problems {
	return &Problems{prefix: join(p.prefix, path), errs: p.errs, refused: p.refused}
}

// Refused records that the value at path (relative to this collector) was
// refused already and left out of what later checks see, as if omitted.
// Faults added later at that path, inside it, or at a value enclosing it
// up to this collector's own path are dropped: they would speak of a value
// the user did not write ("is required", a sum it is missing from).
func (p *Problems) Refused(path string) {
	if p.refused != nil {
		*p.refused = append(*p.refused, refusal{path: join(p.prefix, path), floor: p.prefix})
	}
}

// WasRefused reports whether the value at path (relative to this collector)
// was refused already: a check that reads it as missing would say more.
func (p *Problems) WasRefused(path string) bool {
	if p.refused == nil {
		return false
	}
	full := join(p.prefix, path)
	for _, r := range *p.refused {
		if r.path == full {
			return true
		}
	}
	return false
}

// RefusedWithin reports whether a value at path or inside it (relative to
// this collector) was refused.
func (p *Problems) RefusedWithin(path string) bool {
	if p.refused == nil {
		return false
	}
	full := join(p.prefix, path)
	for _, r := range *p.refused {
		if r.path == full || within(r.path, full) {
			return true
		}
	}
	return false
}

// dropped reports whether a fault at path speaks of a refused value.
func (p *Problems) dropped(path string) bool {
	if p.refused == nil {
		return false
	}
	for _, r := range *p.refused {
		if path == r.path || within(path, r.path) || (within(r.path, path) && (path == r.floor || within(path, r.floor))) {
			return true
		}
	}
	return false
}

// within reports whether path names a value inside the one at outer.
func within(path, outer string) bool {
	if outer == "" {
		return path != ""
	}
	return strings.HasPrefix(path, outer) && len(path) > len(outer) && (path[len(outer)] == '.' || path[len(outer)] == '[')
}

// Path is where this collector points.
func (p *Problems) Path() string { return p.prefix }

// Add records a fault at path (relative to this collector).
func (p *Problems) Add(path, format string, args ...any) {
	full := join(p.prefix, path)
	if p.dropped(full) {
		return
	}
	*p.errs = append(*p.errs, FieldError{Path: full, Message: fmt.Sprintf(format, args...)})
}

// Here records a fault at this collector's own path.
func (p *Problems) Here(format string, args ...any) { p.Add("", format, args...) }

// Errors returns what was found, nil when nothing.
func (p *Problems) Errors() Errors {
	if len(*p.errs) == 0 {
		return nil
	}
	return *p.errs
}

func join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// ParentPath is the path of the value that holds the one at path
// ("steps[2].config" for "steps[2].config.body", "" at the top).
func ParentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return ""
}
