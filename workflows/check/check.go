// Package check validates a whole workflow definition: its shape, every
// trigger and step against its type, and the graph (dangling references,
// unreachable steps, loops that never wait). Every fault is named by path.
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"

	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Parse decodes a definition strictly and validates it. The errors name
// JSON paths; a definition with errors must not be saved.
func Parse(raw []byte) (*definition.Definition, validation.Errors) {
	// Check the shape first: encoding/json would name only the first
	// unknown field or wrong type, and without its full path.
	doc, err := validation.Decode(raw)
	if err != nil {
		return nil, validation.Errors{decodeError(err)}
	}
	if _, isObject := doc.(map[string]any); !isObject {
		return nil, validation.Errors{{Path: "", Message: "the workflow definition must be a JSON object"}}
	}
	if trailingData(raw) {
		return nil, validation.Errors{{Path: "", Message: "unexpected data after the JSON object"}}
	}
	// Shape faults (unknown fields, wrong types) are named and taken out,
	// as decodeConfig does inside step configs, and the rest is checked as
	// if they had been omitted: every fault shows in one answer. What a
	// taken-out value would make the later checks say ("is required", a
	// step it leads to "unreachable") is dropped, see Problems.Refused and
	// graph.
	p := validation.NewProblems()
	for _, e := range validation.DuplicateKeys(raw) {
		p.Add(e.Path, "%s", e.Message)
	}
	doc, shapeErrs := validation.Prune(doc, reflect.TypeFor[definition.Definition]())
	body := raw
	if shapeErrs != nil {
		for _, e := range shapeErrs {
			p.Add(e.Path, "%s", e.Message)
		}
		for _, e := range shapeErrs {
			parent := validation.ParentPath(e.Path)
			switch meant, ok := validation.Meant(e); {
			case ok: // "Next" for next: next is refused, not missing
				p.At(parent).Refused(meant)
			case !validation.IsUnknownField(e):
				p.At(parent).Refused(strings.TrimPrefix(strings.TrimPrefix(e.Path, parent), "."))
			}
		}
		var err error
		if body, err = json.Marshal(doc); err != nil {
			return nil, append(p.Errors(), validation.FieldError{Path: "", Message: "invalid JSON: " + err.Error()})
		}
	}
	var def definition.Definition
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&def); err != nil {
		return nil, append(p.Errors(), decodeError(err))
	}
	for i := range def.Triggers {
		if condition.Empty(def.Triggers[i].Filters) {
			def.Triggers[i].Filters = nil // "filters": {} is no filter, stored as none
		}
	}
	definitionChecks(p, &def)
	return &def, p.Errors()
}

// trailingData reports whether raw, whose first value decodes, has more after it.
func trailingData(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return false
	}
	_, err := dec.Token()
	return !errors.Is(err, io.EOF)
}

func decodeError(err error) validation.FieldError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return validation.FieldError{Path: te.Field, Message: fmt.Sprintf("must not be a JSON %s", te.Value)}
	case errors.As(err, &se):
		return validation.FieldError{Path: "", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return validation.FieldError{Path: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Message: "unknown field"}
	case errors.Is(err, io.EOF):
		return validation.FieldError{Path: "", Message: "the body is empty; send the workflow definition as JSON"}
	}
	return validation.FieldError{Path: "", Message: "invalid JSON: " + err.Error()}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Definition validates a decoded definition.
func Definition(def *definition.Definition) validation.Errors {
	p := validation.NewProblems()
	definitionChecks(p, def)
	return p.Errors()
}

func definitionChecks(p *validation.Problems, def *definition.Definition) {
	if strings.TrimSpace(def.Name) == "" {
		p.Add("name", "is required")
	}
	settings(p.At("settings"), &def.Settings)
	triggerIDs := map[string]bool{}
	for i := range def.Triggers {
		t := &def.Triggers[i]
		tp := p.At(fmt.Sprintf("triggers[%d]", i))
		switch {
		case !idPattern.MatchString(t.ID):
			tp.Add("id", "is required: 1 to 64 letters, digits, _ or -")
		case triggerIDs[t.ID]:
			tp.Add("id", "duplicate trigger id %q", t.ID)
		}
		triggerIDs[t.ID] = true
		kind, ok := triggers.Lookup(t.Type)
		switch {
		case ok:
			kind.Validate(tp, t)
		case triggers.Planned[t.Type]:
			tp.Add("type", "trigger type %q is not available in this version yet", t.Type)
		case t.Type == "":
			tp.Add("type", "is required")
		default:
			tp.Add("type", "unknown trigger type %q", t.Type)
		}
		if !condition.Empty(t.Filters) {
			condition.Validate(tp.At("filters"), t.Filters)
		}
	}
	graph(p, def)
}

func settings(p *validation.Problems, s *definition.Settings) {
	switch s.Timezone {
	case "", "account", "contact":
	default:
		if !calendar.Known(s.Timezone) {
			p.Add("timezone", "unknown timezone %q: use account, contact or an IANA name such as America/New_York", s.Timezone)
		}
	}
	calendar.ValidateWindow(p.At("time_window"), s.TimeWindow)
}
