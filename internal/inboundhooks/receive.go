package inboundhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Rejection is a request the hook refused: Status is the 4xx to answer and
// Reason says why (it is also kept on the sample).
type Rejection struct {
	Status int
	Reason string
	Errors validation.Errors
}

func (r *Rejection) Error() string { return r.Reason }

func reject(status int, format string, args ...any) *Rejection {
	return &Rejection{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// headerIdempotencyKey names the header in a rejection's errors, as the
// rest of the API names a header fault by the header.
const headerIdempotencyKey = "Idempotency-Key"

// rejectKey refuses the request's Idempotency-Key, naming the header with
// message; format and args are the reason.
func rejectKey(status int, message, format string, args ...any) *Rejection {
	r := reject(status, format, args...)
	r.Errors = validation.Errors{{Path: headerIdempotencyKey, Message: message}}
	return r
}

// Request is one call to a hook, as read by the API.
type Request struct {
	Method  string
	Payload map[string]any
	// IdempotencyKey, when the sender gives one, makes a repeat of the
	// request one event: it answers what the first one did.
	IdempotencyKey string
}

// Result is an accepted request: the event it raised (with the enrollments it started).
type Result struct {
	Event     *models.Event
	Duplicate bool // an earlier request with the same idempotency key
}

// maxIdempotencyKey keeps "inbound_webhook/<hook>/<key>" within an event's external id.
const maxIdempotencyKey = 200

const rawKept = 2048 // characters of an unreadable body kept on its sample

// Reject keeps a request the API could not read (bad JSON, too large) as a
// rejected sample.
func (s *Service) Reject(ctx context.Context, h *models.InboundWebhook, method, raw string, r *Rejection) error {
	if len(raw) > rawKept {
		raw = raw[:rawKept]
	}
	sample := &models.InboundWebhookSample{Method: method, Raw: strings.ToValidUTF8(raw, "\uFFFD"), Rejected: true,
		Reason: r.Reason, Status: r.Status}
	return s.keep(s.DB.WithContext(ctx), h, sample)
}

// Receive handles a payload: the workflow must be published with the
// trigger in its published version; the contact is found by email (then
// phone) and updated, or created; the event is recorded with the sample and
// routed into the owning workflow only. A refused payload comes back as a
// *Rejection and is kept as a rejected sample.
func (s *Service) Receive(ctx context.Context, h *models.InboundWebhook, req Request) (*Result, error) {
	res, err := s.receive(ctx, h, req)
	var rej *Rejection
	if errors.As(err, &rej) {
		sample := &models.InboundWebhookSample{Method: req.Method, Payload: req.Payload, Rejected: true,
			Reason: rej.Reason, Status: rej.Status}
		if kerr := s.keep(s.DB.WithContext(ctx), h, sample); kerr != nil {
			return nil, errors.Join(err, kerr)
		}
	}
	return res, err
}

func (s *Service) receive(ctx context.Context, h *models.InboundWebhook, req Request) (*Result, error) {
	db := s.DB.WithContext(ctx)
	var wf models.Workflow
	if err := db.Select("id", "status").Where("account_id = ? AND id = ?", h.AccountID, h.WorkflowID).Limit(1).Find(&wf).Error; err != nil {
		return nil, fmt.Errorf("loading workflow %s: %w", h.WorkflowID, err)
	}
	if wf.ID == "" {
		return nil, ErrNotFound // the workflow was deleted: its URLs are gone
	}
	if wf.Status != models.WorkflowPublished {
		return nil, reject(http.StatusConflict, "the workflow is a draft: publish it to enroll contacts (the payload was kept as a sample)")
	}
	trigger, err := s.publishedTrigger(db, h)
	if err != nil {
		return nil, err
	}
	externalID := ""
	if len(req.IdempotencyKey) > maxIdempotencyKey {
		return nil, rejectKey(http.StatusBadRequest, fmt.Sprintf("at most %d characters", maxIdempotencyKey), "the Idempotency-Key header is at most %d characters", maxIdempotencyKey)
	}
	if req.IdempotencyKey != "" {
		externalID = "inbound_webhook/" + h.ID + "/" + req.IdempotencyKey
		if prev, err := s.findEvent(db, h.AccountID, externalID); err != nil || prev != nil {
			if err == nil && !reflect.DeepEqual(normalise(prev.Data), normalise(req.Payload)) {
				// As on the rest of the API: one key, one request.
				return nil, rejectKey(http.StatusUnprocessableEntity, "already used for a different payload",
					"the Idempotency-Key %q was already used for a different payload", req.IdempotencyKey)
			}
			return &Result{Event: prev, Duplicate: prev != nil}, err
		}
	}
	var cfg triggers.InboundWebhookConfig
	if len(trigger.Config) > 0 {
		if err := json.Unmarshal(trigger.Config, &cfg); err != nil {
			return nil, fmt.Errorf("reading config of trigger %s: %w", trigger.ID, err)
		}
	}
	in, err := mapContact(req.Payload, cfg.Mapping, s.region())
	if err != nil {
		return nil, err
	}
	contactID, err := s.upsertContact(ctx, h.AccountID, in)
	if err != nil {
		return nil, err
	}
	id := models.NewID()
	if externalID == "" {
		externalID = id
	}
	ev := &models.Event{ID: id, AccountID: h.AccountID, ExternalID: externalID, Type: triggers.InboundWebhookType,
		ContactID: contactID, Data: req.Payload, OccurredAt: time.Now().UTC(),
		TargetWorkflowID: h.WorkflowID, TargetTriggerID: h.TriggerID}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(ev).Error; err != nil {
			return err
		}
		return s.keep(tx, h, &models.InboundWebhookSample{Method: req.Method, Payload: req.Payload,
			Status: http.StatusAccepted, EventID: ev.ID, ContactID: contactID})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) && req.IdempotencyKey != "" {
		// The same request arrived twice at once; the other one won.
		prev, ferr := s.findEvent(db, h.AccountID, externalID)
		if ferr != nil || prev == nil {
			return nil, fmt.Errorf("loading duplicate webhook event: %w", errors.Join(err, ferr))
		}
		return &Result{Event: prev, Duplicate: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recording inbound_webhook event: %w", err)
	}
	if s.Router != nil {
		if rerr := s.Router.Route(ctx, ev); rerr != nil && s.Log != nil {
			s.Log.WarnContext(ctx, "routing inbound webhook event failed; the sweeper will retry", "event_id", ev.ID, "error", rerr)
		}
	}
	return &Result{Event: ev}, nil
}

// publishedTrigger is the hook's trigger as published: its config, not a
// later draft edit, decides the mapping.
func (s *Service) publishedTrigger(db *gorm.DB, h *models.InboundWebhook) (*definition.Trigger, error) {
	var row models.PublishedTrigger
	err := db.Select("definition").Where("workflow_id = ? AND trigger_id = ? AND type = ?", h.WorkflowID, h.TriggerID,
		triggers.InboundWebhookType).Limit(1).Find(&row).Error
	if err != nil {
		return nil, fmt.Errorf("loading trigger %s: %w", h.TriggerID, err)
	}
	if len(row.Definition) == 0 {
		return nil, reject(http.StatusConflict, "trigger %s is not in the workflow's published version: publish it to enroll contacts (the payload was kept as a sample)", h.TriggerID)
	}
	var t definition.Trigger
	if err := json.Unmarshal(row.Definition, &t); err != nil {
		return nil, fmt.Errorf("reading trigger %s: %w", h.TriggerID, err)
	}
	return &t, nil
}

func (s *Service) findEvent(db *gorm.DB, accountID, externalID string) (*models.Event, error) {
	var ev models.Event
	if err := db.Where("account_id = ? AND external_id = ?", accountID, externalID).Limit(1).Find(&ev).Error; err != nil {
		return nil, fmt.Errorf("looking up webhook event: %w", err)
	}
	if ev.ID == "" {
		return nil, nil
	}
	return &ev, nil
}

// upsertContact updates the contact with the payload's email (else phone),
// or creates one. Validation faults of the mapped values are rejections.
func (s *Service) upsertContact(ctx context.Context, accountID string, in contacts.Input) (string, error) {
	id := ""
	for _, f := range []struct {
		col string
		v   *string
	}{{"email", in.Email}, {"phone", in.Phone}} {
		if f.v == nil || id != "" {
			continue
		}
		var c models.Contact
		err := s.DB.WithContext(ctx).Select("id").Where("account_id = ? AND "+f.col+" = ?", accountID, *f.v).
			Order("id").Limit(1).Find(&c).Error
		if err != nil {
			return "", fmt.Errorf("finding contact by %s: %w", f.col, err)
		}
		id = c.ID
	}
	var c *models.Contact
	var err error
	if id != "" {
		c, err = s.Contacts.Update(ctx, accountID, id, in)
	} else {
		c, err = s.Contacts.Create(ctx, accountID, in)
	}
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		parts := make([]string, len(verrs))
		for i, e := range verrs {
			parts[i] = e.Path + ": " + e.Message
		}
		return "", &Rejection{Status: http.StatusUnprocessableEntity, Errors: verrs,
			Reason: "the payload's contact fields are invalid: " + strings.Join(parts, "; ")}
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

func (s *Service) region() string {
	if s.Contacts != nil && s.Contacts.DefaultRegion != "" {
		return s.Contacts.DefaultRegion
	}
	return "US"
}

// keep stores a sample and drops the hook's samples beyond the last SamplesKept.
func (s *Service) keep(db *gorm.DB, h *models.InboundWebhook, sample *models.InboundWebhookSample) error {
	sample.ID, sample.AccountID, sample.HookID = models.NewID(), h.AccountID, h.ID
	if sample.ReceivedAt.IsZero() {
		sample.ReceivedAt = time.Now().UTC()
	}
	if err := db.Create(sample).Error; err != nil {
		return fmt.Errorf("keeping webhook sample: %w", err)
	}
	var old []string
	if err := db.Model(&models.InboundWebhookSample{}).Where("hook_id = ?", h.ID).Order("id DESC").
		Offset(SamplesKept).Limit(1000).Pluck("id", &old).Error; err != nil {
		return fmt.Errorf("finding old webhook samples: %w", err)
	}
	if len(old) > 0 {
		if err := db.Where("id IN ?", old).Delete(&models.InboundWebhookSample{}).Error; err != nil {
			return fmt.Errorf("dropping old webhook samples: %w", err)
		}
	}
	return nil
}

// normalise gives a payload the shape it has after a JSON round trip (as
// stored), so a repeat compares equal to the stored first delivery.
func normalise(v map[string]any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}
