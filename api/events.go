package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

type eventInput struct {
	ID         *string         `json:"id"`
	Type       *string         `json:"type"`
	Contact    *eventContactIn `json:"contact"`
	Data       map[string]any  `json:"data"`
	OccurredAt *string         `json:"occurred_at"`
}

// eventContactIn says whose event it is: by id, or by email or phone (a
// contact is created when none has them).
type eventContactIn struct {
	ID    *string `json:"id"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// EventAccepted answers POST /v1/events: the event and the enrollments it started.
type EventAccepted struct {
	EventID     string             `json:"event_id"`
	ContactID   string             `json:"contact_id"`
	Enrollments []EnrollmentAnswer `json:"enrollments"`
}

// EventAnswer is an event in GET /v1/events.
type EventAnswer struct {
	ID          string             `json:"id"`
	ExternalID  string             `json:"external_id"`
	Type        string             `json:"type"`
	ContactID   string             `json:"contact_id"`
	Data        map[string]any     `json:"data"`
	OccurredAt  time.Time          `json:"occurred_at"`
	CreatedAt   time.Time          `json:"created_at"`
	RoutedAt    *time.Time         `json:"routed_at"`
	Enrollments []EnrollmentAnswer `json:"enrollments"`
}

const maxEventIDLen = 255

// ingestEvent records an event and fires the published triggers it
// matches. The same id twice is one event: a repeat answers what the first
// one started and starts nothing.
func (s *server) ingestEvent(c echo.Context) error {
	var in eventInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Data == nil {
		in.Data = map[string]any{}
	}
	occurred, errs := checkEvent(&in)
	if in.Type != nil {
		errs = append(errs, checkEventData(*in.Type, in.Data)...)
	}
	if errs != nil {
		return invalid(errs)
	}
	ctx, acct := c.Request().Context(), account(c).ID
	externalID := strings.TrimSpace(*in.ID)
	if prev, err := s.findEvent(ctx, acct, externalID); err != nil || prev != nil {
		if err != nil {
			return err
		}
		if prev.Type != *in.Type {
			// Another event under the same id would be silently lost.
			return typed(http.StatusConflict, typeConflict, "Conflict",
				fmt.Sprintf("event id %q was already used for a %s event; give each event its own id", externalID, prev.Type),
				validation.FieldError{Path: "id", Message: fmt.Sprintf("already used for a %s event", prev.Type)})
		}
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return s.answerAccepted(c, prev)
	}
	contactID, err := s.eventContact(ctx, acct, in.Contact, !existingContactOnly[*in.Type])
	if err != nil {
		return err
	}
	ev, _, err := s.raise(ctx, &models.Event{ID: models.NewID(), AccountID: acct, ExternalID: externalID, Type: *in.Type,
		ContactID: contactID, Data: in.Data, OccurredAt: occurred})
	if err != nil {
		return err
	}
	return s.answerAccepted(c, ev)
}

// raise records an event and routes it, unless an event with its external
// id exists: then that one is returned, with dup set, and nothing happens.
// Routing failures are logged, not returned: the event is stored unrouted,
// the sweeper routes it again, and the enrollment service enrolls nobody twice.
func (s *server) raise(ctx context.Context, ev *models.Event) (_ *models.Event, dup bool, _ error) {
	return s.raiseWith(ctx, ev, nil)
}

// raiseWith is raise that also writes, in the event's transaction, what with
// writes (nil: nothing), so a duplicate event writes none of it either.
func (s *server) raiseWith(ctx context.Context, ev *models.Event, with func(tx *gorm.DB) error) (_ *models.Event, dup bool, _ error) {
	var created error // the event's own insert: only its conflict is a duplicate event
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if created = tx.Create(ev).Error; created != nil || with == nil {
			return created
		}
		return with(tx)
	})
	if err != nil {
		if errors.Is(created, gorm.ErrDuplicatedKey) {
			// The same event arrived twice at once; the other one won.
			prev, err := s.findEvent(ctx, ev.AccountID, ev.ExternalID)
			if err != nil || prev == nil {
				return nil, false, fmt.Errorf("loading duplicate event %q: %w", ev.ExternalID, err)
			}
			return prev, true, nil
		}
		return nil, false, fmt.Errorf("recording %s event: %w", ev.Type, err)
	}
	if err := s.enrollments.Route(ctx, ev); err != nil {
		s.log.WarnContext(ctx, "routing event failed; the sweeper will retry", "event_id", ev.ID, "error", err)
	}
	return ev, false, nil
}

// checkEvent validates the event body and returns when it occurred.
func checkEvent(in *eventInput) (time.Time, validation.Errors) {
	var errs validation.Errors
	add := func(path, msg string) { errs = append(errs, validation.FieldError{Path: path, Message: msg}) }
	switch {
	case blank(in.ID):
		add("id", "is required: your id of the event, so that sending it twice records it once")
	case len(*in.ID) > maxEventIDLen:
		add("id", fmt.Sprintf("is at most %d characters", maxEventIDLen))
	}
	switch {
	case in.Type == nil || *in.Type == "":
		add("type", "is required")
	case len(*in.Type) > steps.MaxEventTypeLen || !steps.EventTypePattern.MatchString(*in.Type):
		add("type", fmt.Sprintf("must be snake_case (a-z, 0-9 and single underscores), at most %d characters", steps.MaxEventTypeLen))
	}
	if in.Contact == nil || (blank(in.Contact.ID) && blank(in.Contact.Email) && blank(in.Contact.Phone)) {
		add("contact", "is required: an object with the contact's id, email or phone")
	}
	occurred := time.Now().UTC()
	if in.OccurredAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.OccurredAt)
		if err != nil {
			add("occurred_at", "must be an RFC 3339 time, e.g. 2025-01-31T09:30:00Z")
		} else {
			occurred = t.UTC()
		}
	}
	return occurred, errs
}

// eventContact finds the event's contact by id, else by email, else by
// phone, and creates it from the email and phone when none matches and
// create allows it (422 at contact otherwise).
func (s *server) eventContact(ctx context.Context, acct string, in *eventContactIn, create bool) (string, error) {
	if !blank(in.ID) {
		ct, err := s.contacts.Get(ctx, acct, strings.TrimSpace(*in.ID))
		if errors.Is(err, contacts.ErrNotFound) {
			return "", notFound("contact", validation.FieldError{Path: "contact.id", Message: "no contact with this id"})
		}
		if err != nil {
			return "", err
		}
		return ct.ID, nil
	}
	var email, phone string
	if !blank(in.Email) {
		email = strings.ToLower(strings.TrimSpace(*in.Email))
		if id, err := s.findContact(ctx, acct, "email", email); err != nil || id != "" {
			return id, err
		}
	}
	if !blank(in.Phone) {
		p, err := contacts.NormalizePhone(*in.Phone, s.region())
		if err != nil {
			return "", invalidAt("contact.phone", "%s", err.Error())
		}
		phone = p
		if id, err := s.findContact(ctx, acct, "phone", phone); err != nil || id != "" {
			return id, err
		}
	}
	if !create {
		return "", invalidAt("contact", "no contact has this email or phone; this event type needs an existing contact")
	}
	ct, err := s.contacts.Create(ctx, acct, contacts.Input{Email: nonEmpty(email), Phone: nonEmpty(phone)})
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		// The service names fields of a contact; here they sit under "contact".
		for i := range verrs {
			verrs[i].Path = validation.JoinPath("contact", verrs[i].Path)
		}
		return "", invalid(verrs)
	}
	if err != nil {
		return "", err
	}
	return ct.ID, nil
}

// findContact returns the oldest contact with that email or phone, or "".
func (s *server) findContact(ctx context.Context, acct, field, value string) (string, error) {
	var ct models.Contact
	err := s.db.WithContext(ctx).Select("id").Where("account_id = ? AND "+field+" = ?", acct, value).
		Order("id").Limit(1).Find(&ct).Error
	if err != nil {
		return "", fmt.Errorf("finding contact by %s: %w", field, err)
	}
	return ct.ID, nil
}

func (s *server) findEvent(ctx context.Context, acct, externalID string) (*models.Event, error) {
	var ev models.Event
	err := s.db.WithContext(ctx).Where("account_id = ? AND external_id = ?", acct, externalID).Limit(1).Find(&ev).Error
	if err != nil {
		return nil, fmt.Errorf("looking up event %q: %w", externalID, err)
	}
	if ev.ID == "" {
		return nil, nil
	}
	return &ev, nil
}

func (s *server) answerAccepted(c echo.Context, ev *models.Event) error {
	byID, err := s.loadEnrollments(c.Request().Context(), ev.AccountID, ev.Enrollments)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, EventAccepted{EventID: ev.ID, ContactID: ev.ContactID,
		Enrollments: s.inOrder(ev.Enrollments, byID)})
}

// loadEnrollments loads enrollments by id in one query.
func (s *server) loadEnrollments(ctx context.Context, acct string, ids []string) (map[string]*models.Enrollment, error) {
	out := map[string]*models.Enrollment{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Enrollment
	if err := s.db.WithContext(ctx).Where("account_id = ? AND id IN ?", acct, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("loading enrollments: %w", err)
	}
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out, nil
}

func (s *server) inOrder(ids []string, byID map[string]*models.Enrollment) []EnrollmentAnswer {
	out := []EnrollmentAnswer{}
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, s.enrollmentAnswer(e))
		}
	}
	return out
}

// listEvents lists events, the API's own (contact_created...) and ingested
// ones, with the enrollments each started; filtered by ?contact_id= and ?type=.
func (s *server) listEvents(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	ctx, acct := c.Request().Context(), account(c).ID
	q := s.db.WithContext(ctx).Where("account_id = ?", acct)
	if v := strings.TrimSpace(c.QueryParam("contact_id")); v != "" {
		q = q.Where("contact_id = ?", v)
	}
	if v := strings.TrimSpace(c.QueryParam("type")); v != "" {
		q = q.Where("type = ?", v)
	}
	var rows []models.Event
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	rows, next := cut(p, rows, func(e *models.Event) string { return e.ID })
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.Enrollments...)
	}
	byID, err := s.loadEnrollments(ctx, acct, ids)
	if err != nil {
		return err
	}
	items := make([]EventAnswer, len(rows))
	for i, r := range rows {
		data := r.Data
		if data == nil {
			data = map[string]any{}
		}
		items[i] = EventAnswer{ID: r.ID, ExternalID: r.ExternalID, Type: r.Type, ContactID: r.ContactID, Data: data,
			OccurredAt: utc(r.OccurredAt), CreatedAt: utc(r.CreatedAt), RoutedAt: utcPtr(r.RoutedAt),
			Enrollments: s.inOrder(r.Enrollments, byID)}
	}
	return c.JSON(http.StatusOK, List[EventAnswer]{Items: items, NextCursor: next})
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
