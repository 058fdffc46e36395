package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/workflows/validation"
)

// ctxQuery holds the request's queryReader, shared by the query check
// middleware (unknown and repeated parameters) and the handler (values).
const ctxQuery = "crmflow.query"

// queryReader reads a request's query parameters and collects a fault for
// every bad one, so that one 400 answer names them all rather than the
// first. Handlers read every parameter, then return err().
type queryReader struct {
	c       echo.Context
	errs    validation.Errors
	checked bool // err() was asked: the handler has seen every fault
}

// readQuery returns the request's reader, made on first use.
func readQuery(c echo.Context) *queryReader {
	if q, ok := c.Get(ctxQuery).(*queryReader); ok {
		return q
	}
	q := &queryReader{c: c}
	c.Set(ctxQuery, q)
	return q
}

// fault records a bad parameter; the same fault twice is kept once.
func (q *queryReader) fault(name, format string, args ...any) {
	f := validation.FieldError{Path: name, Message: fmt.Sprintf(format, args...)}
	for _, e := range q.errs {
		if e == f {
			return
		}
	}
	q.errs = append(q.errs, f)
}

// raw is the parameter as sent ("" when absent).
func (q *queryReader) raw(name string) string { return q.c.QueryParam(name) }

// text is the parameter without surrounding spaces.
func (q *queryReader) text(name string) string { return strings.TrimSpace(q.raw(name)) }

// oneOf reads a parameter that takes one of allowed (without case) and
// returns it as spelled in allowed, or "" when absent or refused.
func (q *queryReader) oneOf(name string, allowed []string) string {
	v := q.text(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	q.fault(name, "must be one of %s", strings.Join(allowed, ", "))
	return ""
}

// boolean reads true or false; given is false when absent or refused.
func (q *queryReader) boolean(name string) (v, given bool) {
	switch q.raw(name) {
	case "":
		return false, false
	case "true":
		return true, true
	case "false":
		return false, true
	}
	q.fault(name, "must be true or false")
	return false, false
}

// time reads an RFC 3339 time, in UTC; nil when absent or refused.
func (q *queryReader) time(name string) *time.Time {
	s := q.text(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.fault(name, "must be an RFC 3339 time, e.g. 2025-01-31T00:00:00Z")
		return nil
	}
	t = t.UTC()
	return &t
}

// err is the 400 answer naming every fault found so far, or nil.
func (q *queryReader) err() error {
	q.checked = true
	if len(q.errs) == 0 {
		return nil
	}
	return queryProblem(q.errs)
}

// queryProblem is the 400 answer to bad query parameters, named in order.
func queryProblem(errs validation.Errors) *Problem {
	errs = append(validation.Errors{}, errs...)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
	detail := errs[0].Path + ": " + errs[0].Message
	if len(errs) > 1 {
		detail = fmt.Sprintf("the query string has %d faults; see errors", len(errs))
	}
	return typed(http.StatusBadRequest, typeBadQuery, "Invalid query", detail, errs...)
}
