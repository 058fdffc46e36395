package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// queryParams maps "METHOD /echo/:path" to the query parameters the OpenAPI
// document allows there. A parameter outside that list is refused: a typo
// such as ?contactId= must not silently return every row.
type queryParams map[string]map[string]bool

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// newQueryParams reads the allowed query parameters from the document.
func newQueryParams(doc []byte) (queryParams, error) {
	type param struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	}
	var spec struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	resolve := func(p param) param {
		if p.Ref != "" {
			return spec.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
		}
		return p
	}
	out := queryParams{}
	for path, item := range spec.Paths {
		var shared []param
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				return nil, fmt.Errorf("reading parameters of %s: %w", path, err)
			}
		}
		echoPath := pathParam.ReplaceAllString(path, ":$1")
		for method, raw := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op struct {
				Parameters []param `json:"parameters"`
				AnyQuery   bool    `json:"x-any-query"` // the query is the payload (inbound webhooks)
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("reading %s %s: %w", method, path, err)
			}
			if op.AnyQuery {
				continue
			}
			allowed := map[string]bool{}
			for _, p := range append(append([]param{}, shared...), op.Parameters...) {
				if p = resolve(p); p.In == "query" {
					allowed[p.Name] = true
				}
			}
			out[strings.ToUpper(method)+" "+echoPath] = allowed
		}
	}
	return out, nil
}

// check refuses query parameters the operation does not take, and ones
// given twice, naming each (400). Routes the document does not describe are
// left alone. Where the operation reads parameters (all such are GETs), the
// handler runs and adds the faults of the values it reads (queryReader), so
// one answer names them all.
func (q queryParams) check(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		allowed, known := q[c.Request().Method+" "+c.Path()]
		values := c.Request().URL.Query()
		if !known || len(values) == 0 {
			return next(c)
		}
		r := readQuery(c)
		names := make([]string, 0, len(values))
		for name := range values {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			switch {
			case !allowed[name]:
				r.fault(name, "unknown query parameter%s", takes(allowed))
			case len(values[name]) > 1:
				r.fault(name, "given more than once")
			}
		}
		if r.errs == nil {
			return next(c)
		}
		if len(allowed) == 0 || c.Request().Method != http.MethodGet {
			return r.err()
		}
		err := next(c)
		if !r.checked && !c.Response().Committed {
			// The handler stopped before reading the query (no API key...):
			// the parameters are still refused, as before any other check.
			return r.err()
		}
		return err
	}
}

// takes lists the parameters an endpoint takes, for the message.
func takes(allowed map[string]bool) string {
	if len(allowed) == 0 {
		return "; this endpoint takes none"
	}
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	sort.Strings(names)
	return "; this endpoint takes " + strings.Join(names, ", ")
}
