package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/accounts"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Problem is an RFC 9457 problem document, the body of every error answer.
// Errors names each fault by its JSON path; it is always present (maybe
// empty) so clients can read it without checking.
type Problem struct {
	Type   string                  `json:"type"`
	Title  string                  `json:"title"`
	Status int                     `json:"status"`
	Detail string                  `json:"detail"`
	Errors []validation.FieldError `json:"errors"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// Problem types beyond plain HTTP statuses (which use about:blank, as RFC 9457 advises).
const (
	typeBlank           = "about:blank"
	typeValidation      = "urn:crmflow:problem:validation"
	typeMalformed       = "urn:crmflow:problem:malformed-json"
	typeBadQuery        = "urn:crmflow:problem:invalid-query"
	typeNotPublished    = "urn:crmflow:problem:not-published"
	typeConflict        = "urn:crmflow:problem:conflict"
	typeIdemReused      = "urn:crmflow:problem:idempotency-key-reused"
	typeIdemInFlight    = "urn:crmflow:problem:idempotency-key-in-flight"
	typeUnauthenticated = "urn:crmflow:problem:unauthenticated"
	typeBusy            = "urn:crmflow:problem:busy"
	typeUnavailable     = "urn:crmflow:problem:unavailable"
)

const mimeProblem = "application/problem+json"

// problem is a plain HTTP-status problem.
func problem(status int, detail string, errs ...validation.FieldError) *Problem {
	return &Problem{Type: typeBlank, Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs}
}

// typed is a problem of one of our own types.
func typed(status int, typ, title, detail string, errs ...validation.FieldError) *Problem {
	return &Problem{Type: typ, Title: title, Status: status, Detail: detail, Errors: errs}
}

// invalid is the 422 answer to input that parsed but does not hold.
func invalid(errs validation.Errors) *Problem {
	detail := "The request has 1 fault; see errors."
	if len(errs) != 1 {
		detail = fmt.Sprintf("The request has %d faults; see errors.", len(errs))
	}
	return typed(http.StatusUnprocessableEntity, typeValidation, "Invalid request", detail, errs...)
}

// invalidAt is a 422 answer with one fault.
func invalidAt(path, format string, args ...any) *Problem {
	return invalid(validation.Errors{{Path: path, Message: fmt.Sprintf(format, args...)}})
}

// badQuery is the 400 answer to one query parameter that cannot be used;
// a handler reading several uses a queryReader to name them all.
func badQuery(param, format string, args ...any) *Problem {
	return queryProblem(validation.Errors{{Path: param, Message: fmt.Sprintf(format, args...)}})
}

// notFound is the 404 answer; other accounts' resources answer exactly this too.
func notFound(what string, errs ...validation.FieldError) *Problem {
	return problem(http.StatusNotFound, what+" not found", errs...)
}

// problemFor turns any handler error into the problem it answers.
func (s *server) problemFor(c echo.Context, err error) *Problem {
	var p *Problem
	var verrs validation.Errors
	var he *echo.HTTPError
	var inUse *definitions.InUseError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &verrs):
		return invalid(verrs)
	case errors.Is(err, contacts.ErrNotFound), errors.Is(err, enrollment.ErrContactNotFound):
		return notFound("contact")
	case errors.Is(err, definitions.ErrNotFound), errors.Is(err, enrollment.ErrWorkflowNotFound):
		return notFound("workflow")
	case errors.Is(err, enrollment.ErrNotFound):
		return notFound("enrollment")
	case errors.Is(err, definitions.ErrScheduling):
		return problem(http.StatusServiceUnavailable, err.Error())
	case errors.As(err, &inUse):
		if inUse.Path != "" {
			return typed(http.StatusConflict, typeConflict, "Conflict", err.Error(), validation.FieldError{Path: inUse.Path, Message: err.Error()})
		}
		return typed(http.StatusConflict, typeConflict, "Conflict", err.Error())
	case errors.Is(err, enrollment.ErrNotPublished):
		return typed(http.StatusConflict, typeNotPublished, "Workflow not published", err.Error())
	case errors.Is(err, accounts.ErrInvalidKey):
		return unauthenticated("invalid API key")
	case errors.As(err, &he):
		return httpProblem(c, he)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problem(http.StatusServiceUnavailable, "the request was cancelled or timed out")
	}
	return problem(http.StatusInternalServerError, "something went wrong on our side; it has been logged")
}

// httpProblem describes Echo's own errors: unknown routes, wrong methods, big bodies.
func httpProblem(c echo.Context, he *echo.HTTPError) *Problem {
	r := c.Request()
	switch he.Code {
	case http.StatusNotFound:
		return problem(http.StatusNotFound, fmt.Sprintf("no route matches %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		allowed := c.Response().Header().Get(echo.HeaderAllow)
		return problem(http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allowed))
	case http.StatusRequestEntityTooLarge:
		return problem(http.StatusRequestEntityTooLarge, "the request body is larger than "+bodyLimit)
	}
	msg := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok && m != "" {
		msg = m
	}
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return problem(he.Code, msg)
}

// handleError is Echo's error handler: every error leaves as problem+json.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.problemFor(c, err)
	if p.Status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed",
			"method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	}
	if err := writeProblem(c, p); err != nil {
		s.log.WarnContext(c.Request().Context(), "writing error answer failed", "error", err)
	}
}

func writeProblem(c echo.Context, p *Problem) error {
	if p.Errors == nil {
		p.Errors = []validation.FieldError{}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="crmflow"`)
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return c.Blob(p.Status, mimeProblem, body)
}
