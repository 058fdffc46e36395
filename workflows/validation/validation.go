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
	prefix string
	errs   *Errors
}

// NewProblems starts an empty collection rooted at the document.
func NewProblems() *Problems { return &Problems{errs: &Errors{}} }

// At returns a collector for a sub-path: At("steps[2]").At("config").
func (p *Problems) At(path string) *Problems {
	return &Problems{prefix: join(p.prefix, path), errs: p.errs}
}

// Path is where this collector points.
func (p *Problems) Path() string { return p.prefix }

// Add records a fault at path (relative to this collector).
func (p *Problems) Add(path, format string, args ...any) {
	*p.errs = append(*p.errs, FieldError{Path: join(p.prefix, path), Message: fmt.Sprintf(format, args...)})
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
