package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/workflows/validation"
)

// readBody returns the raw request body. It is read once and put back, so
// the idempotency middleware and the handler can both see it.
func readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		}
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// readJSON returns the body once it is known to be one well-formed JSON
// object: a malformed body answers 400, a body of another JSON type 422.
func readJSON(c echo.Context) ([]byte, error) {
	raw, err := readBody(c)
	if err != nil {
		return nil, err
	}
	// A body sent as something else (a form, plain text) was not meant as
	// JSON; say so rather than guess. No Content-Type at all is accepted.
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, typed(http.StatusUnsupportedMediaType, "about:blank", "Unsupported Media Type",
				fmt.Sprintf("send the body as application/json, not %q", ct),
				validation.FieldError{Path: "", Message: "Content-Type must be application/json"})
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, typed(http.StatusBadRequest, typeMalformed, "Malformed JSON", "the request body is empty; send a JSON object",
			validation.FieldError{Path: "", Message: "a JSON object is required"})
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number too large for a float64 (1e400) is valid JSON: its field says what it takes
	if err := dec.Decode(&v); err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, typed(http.StatusBadRequest, typeMalformed, "Malformed JSON", "unexpected data after the JSON object",
			validation.FieldError{Path: "", Message: "unexpected data after the JSON object"})
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, invalidAt("", "must be a JSON object, not %s", validation.JSONType(v))
	}
	return raw, nil
}

func malformed(err error) *Problem {
	msg := err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "malformed JSON: the body ends before the JSON does"
	}
	return typed(http.StatusBadRequest, typeMalformed, "Malformed JSON", msg, validation.FieldError{Path: "", Message: msg})
}

// decodeBody reads a JSON object body, as written and decoded for Shape.
func decodeBody(c echo.Context) (raw []byte, v any, err error) {
	if raw, err = readJSON(c); err != nil {
		return nil, nil, err
	}
	if v, err = validation.Decode(raw); err != nil {
		return nil, nil, malformed(err)
	}
	return raw, v, nil
}

// bindJSON decodes a JSON object body into dst strictly: unknown fields (also
// nested ones, and ones differing only in case) and values of the wrong type
// are 422 faults named by their path, all of them at once. null is accepted
// anywhere: it means "not given".
func bindJSON(c echo.Context, dst any) error {
	raw, v, err := decodeBody(c)
	if err != nil {
		return err
	}
	if errs := append(validation.DuplicateKeys(raw), validation.Shape(v, reflect.TypeOf(dst).Elem())...); len(errs) > 0 {
		return invalid(errs)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		// Shape accepts everything Unmarshal does; this is a safety net.
		return invalidAt("", "%v", err)
	}
	return nil
}

// bindPruned is bindJSON for handlers that go on checking after the shape
// faults: the values refused for their shape (unknown fields, wrong types,
// keys given twice) are left out of dst, and p holds their faults with
// those paths marked refused, so the handler's own checks neither repeat
// them nor call them missing, and every fault is named in one answer.
func bindPruned(c echo.Context, dst any, p *validation.Problems) error {
	raw, v, err := decodeBody(c)
	if err != nil {
		return err
	}
	pruned, shapeErrs := validation.Prune(v, reflect.TypeOf(dst).Elem())
	for _, e := range append(validation.DuplicateKeys(raw), shapeErrs...) {
		p.Add(e.Path, "%s", e.Message)
		if meant, ok := validation.Meant(e); ok { // "Contact_id" for contact_id: contact_id is refused, not missing
			p.At(validation.ParentPath(e.Path)).Refused(meant)
		} else {
			p.Refused(e.Path)
		}
	}
	b, err := json.Marshal(pruned)
	if err != nil {
		return fmt.Errorf("re-encoding a pruned body: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return invalidAt("", "%v", err) // Prune leaves only what Unmarshal takes; a safety net
	}
	return nil
}
