package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/inboundhooks"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// WebhookAnswer is an inbound_webhook trigger's URL (after a rotation).
type WebhookAnswer struct {
	WorkflowID string     `json:"workflow_id"`
	TriggerID  string     `json:"trigger_id"`
	WebhookURL string     `json:"webhook_url"`
	RotatedAt  *time.Time `json:"rotated_at"`
}

// WebhookSampleAnswer is one request an inbound webhook received.
type WebhookSampleAnswer struct {
	ID         string         `json:"id"`
	ReceivedAt time.Time      `json:"received_at"`
	Method     string         `json:"method"`
	Status     string         `json:"status"` // accepted or rejected
	HTTPStatus int            `json:"http_status"`
	Reason     string         `json:"reason"`
	Payload    map[string]any `json:"payload"`
	Raw        *string        `json:"raw"`
	EventID    *string        `json:"event_id"`
	ContactID  *string        `json:"contact_id"`
}

func sampleAnswer(m *models.InboundWebhookSample) WebhookSampleAnswer {
	a := WebhookSampleAnswer{ID: m.ID, ReceivedAt: utc(m.ReceivedAt), Method: m.Method, Status: "accepted",
		HTTPStatus: m.Status, Reason: m.Reason, Payload: m.Payload, Raw: nonEmpty(m.Raw),
		EventID: nonEmpty(m.EventID), ContactID: nonEmpty(m.ContactID)}
	if m.Rejected {
		a.Status = "rejected"
	}
	return a
}

// publicBase is the base of URLs handed out (webhook_url): CRMFLOW_PUBLIC_URL
// when set, else the scheme and host this request came to.
func (s *server) publicBase(c echo.Context) string {
	if base := strings.TrimRight(s.opts.PublicURL, "/"); base != "" {
		return base
	}
	return c.Scheme() + "://" + c.Request().Host
}

func hookProblem(err error) error {
	if errors.Is(err, inboundhooks.ErrNotFound) {
		return notFound("inbound_webhook trigger")
	}
	return err
}

// addWebhookURLs shows each inbound_webhook trigger's URL in a workflow
// answer as webhook_url (creating the hook the first time).
func (s *server) addWebhookURLs(c echo.Context, wf *models.Workflow, out map[string]json.RawMessage) error {
	tokens, err := s.opts.InboundHooks.Tokens(c.Request().Context(), wf)
	if err != nil || len(tokens) == 0 {
		return err
	}
	var trs []map[string]json.RawMessage
	if err := json.Unmarshal(out["triggers"], &trs); err != nil {
		return fmt.Errorf("reading triggers of workflow %s: %w", wf.ID, err)
	}
	base := s.publicBase(c)
	for _, t := range trs {
		var id, typ string
		_ = json.Unmarshal(t["id"], &id)
		_ = json.Unmarshal(t["type"], &typ)
		if tok, ok := tokens[id]; ok && typ == triggers.InboundWebhookType {
			t["webhook_url"], _ = json.Marshal(inboundhooks.URL(base, tok))
		}
	}
	raw, err := json.Marshal(trs)
	if err != nil {
		return err
	}
	out["triggers"] = raw
	return nil
}

// stripTriggerAnswerFields drops what answers add to triggers (webhook_url),
// so a GET answer can be edited and sent back.
func stripTriggerAnswerFields(obj map[string]json.RawMessage) bool {
	var trs []map[string]json.RawMessage
	if err := json.Unmarshal(obj["triggers"], &trs); err != nil {
		return false // not a list of objects: the definition check names it
	}
	found := false
	for _, t := range trs {
		if _, ok := t["webhook_url"]; ok {
			delete(t, "webhook_url")
			found = true
		}
	}
	if found {
		obj["triggers"], _ = json.Marshal(trs)
	}
	return found
}

// rotateWebhook gives a trigger a new secret URL; the old one answers 404 from now on.
func (s *server) rotateWebhook(c echo.Context) error {
	h, err := s.opts.InboundHooks.Rotate(c.Request().Context(), account(c).ID, param(c, "id"), param(c, "trigger_id"))
	if err != nil {
		return hookProblem(err)
	}
	return c.JSON(http.StatusOK, WebhookAnswer{WorkflowID: h.WorkflowID, TriggerID: h.TriggerID,
		WebhookURL: inboundhooks.URL(s.publicBase(c), h.Token), RotatedAt: utcPtr(h.RotatedAt)})
}

// listWebhookSamples lists the last requests a trigger's URL received,
// accepted and rejected, oldest first.
func (s *server) listWebhookSamples(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	h, err := s.opts.InboundHooks.Hook(ctx, account(c).ID, param(c, "id"), param(c, "trigger_id"))
	if err != nil {
		return hookProblem(err)
	}
	var rows []models.InboundWebhookSample
	if err := p.apply(s.db.WithContext(ctx).Where("hook_id = ?", h.ID)).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.InboundWebhookSample) string { return m.ID }, sampleAnswer))
}

// receiveWebhook is a payload sent to a trigger's secret URL: no API key,
// the token is the credential. It answers 202 with the event and the
// enrollments it started, or a 4xx problem whose detail says why (kept on
// the sample too).
func (s *server) receiveWebhook(c echo.Context) error {
	ctx := c.Request().Context()
	hooks := s.opts.InboundHooks
	h, err := hooks.Lookup(ctx, c.Param("token"))
	if err != nil {
		if errors.Is(err, inboundhooks.ErrNotFound) {
			return notFound("webhook")
		}
		return err
	}
	method := c.Request().Method
	payload, raw, rej := readHookPayload(c)
	if rej != nil {
		if err := hooks.Reject(ctx, h, method, raw, rej); err != nil {
			return err
		}
		return rejectionProblem(rej)
	}
	res, err := hooks.Receive(ctx, h, inboundhooks.Request{Method: method, Payload: payload,
		IdempotencyKey: strings.TrimSpace(c.Request().Header.Get(headerIdempotencyKey))})
	var r *inboundhooks.Rejection
	switch {
	case errors.As(err, &r):
		return rejectionProblem(r)
	case errors.Is(err, inboundhooks.ErrNotFound):
		return notFound("webhook")
	case err != nil:
		return err
	}
	return s.answerAccepted(c, res.Event)
}

// readHookPayload reads the payload: the query parameters of a GET, else
// the body as a JSON object (or a form). raw is the body, for a rejected sample.
func readHookPayload(c echo.Context) (map[string]any, string, *inboundhooks.Rejection) {
	r := c.Request()
	if r.Method == http.MethodGet {
		return valuesPayload(r.URL.Query()), "", nil
	}
	if r.ContentLength > inboundhooks.MaxBody {
		// Refused unread, but its start is kept to show what was sent.
		head, _ := io.ReadAll(io.LimitReader(r.Body, 2048))
		return nil, string(head), &inboundhooks.Rejection{Status: http.StatusRequestEntityTooLarge,
			Reason: fmt.Sprintf("the body is %d bytes; at most %d (256 KiB) are accepted", r.ContentLength, inboundhooks.MaxBody)}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, inboundhooks.MaxBody+1))
	if err != nil {
		return nil, "", &inboundhooks.Rejection{Status: http.StatusBadRequest, Reason: "reading the body failed: " + err.Error()}
	}
	if len(body) > inboundhooks.MaxBody {
		return nil, string(body), &inboundhooks.Rejection{Status: http.StatusRequestEntityTooLarge,
			Reason: fmt.Sprintf("the body is larger than %d bytes (256 KiB)", inboundhooks.MaxBody)}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt == echo.MIMEApplicationForm {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, string(body), &inboundhooks.Rejection{Status: http.StatusBadRequest, Reason: "the form body does not parse: " + err.Error()}
		}
		return valuesPayload(vals), "", nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, "", &inboundhooks.Rejection{Status: http.StatusBadRequest, Reason: "the body is empty; send a JSON object"}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil {
		return nil, string(body), &inboundhooks.Rejection{Status: http.StatusBadRequest, Reason: malformed(err).Detail}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, string(body), &inboundhooks.Rejection{Status: http.StatusBadRequest, Reason: "malformed JSON: unexpected data after the JSON value"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, string(body), &inboundhooks.Rejection{Status: http.StatusUnprocessableEntity,
			Reason: "the payload must be a JSON object, not " + validation.JSONType(v)}
	}
	return obj, "", nil
}

// valuesPayload turns query or form values into a payload: one value is a
// string, a repeated parameter a list.
func valuesPayload(vals url.Values) map[string]any {
	out := make(map[string]any, len(vals))
	for k, vs := range vals {
		if len(vs) == 1 {
			out[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		out[k] = list
	}
	return out
}

// rejectionProblem is the answer to a refused payload; its detail is the
// reason kept on the sample.
func rejectionProblem(r *inboundhooks.Rejection) *Problem {
	errs := r.Errors
	if len(errs) == 0 {
		errs = validation.Errors{{Path: "", Message: r.Reason}}
	}
	switch r.Status {
	case http.StatusBadRequest:
		return typed(r.Status, typeMalformed, "Malformed payload", r.Reason, errs...)
	case http.StatusConflict:
		return typed(r.Status, typeNotPublished, "Workflow not published", r.Reason, errs...)
	case http.StatusUnprocessableEntity:
		return typed(r.Status, typeValidation, "Payload refused", r.Reason, errs...)
	}
	return problem(r.Status, r.Reason, errs...)
}
