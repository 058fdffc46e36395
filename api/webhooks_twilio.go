package api

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/providerevents"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// emptyTwiML tells Twilio to do nothing more: no automatic reply.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// twilioForm verifies a Twilio webhook call and returns its POST parameters
// and account. Nothing is read from the body or the database before the
// signature holds.
func (s *server) twilioForm(c echo.Context) (url.Values, *models.Account, error) {
	r := c.Request()
	sig := r.Header.Get("X-Twilio-Signature")
	switch {
	case s.opts.TwilioAuthToken == "":
		return nil, nil, refused("Twilio webhooks cannot be verified: TWILIO_AUTH_TOKEN is not set")
	case sig == "":
		return nil, nil, refused("missing X-Twilio-Signature")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationForm {
		return nil, nil, problem(http.StatusUnsupportedMediaType, "Twilio webhooks are application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return nil, nil, problem(http.StatusBadRequest, "the form body cannot be read: "+err.Error())
	}
	if !providerevents.VerifyTwilio(s.opts.TwilioAuthToken, s.publicURL(c), r.PostForm, sig) {
		return nil, nil, refused("X-Twilio-Signature does not match this request (is CRMFLOW_PUBLIC_URL the base URL configured in Twilio?)")
	}
	acct, err := s.webhookAccount(c)
	if err != nil {
		return nil, nil, err
	}
	return r.PostForm, acct, nil
}

// required names the form parameters that are missing, as a 422.
func requiredForm(form url.Values, names ...string) error {
	var errs validation.Errors
	for _, n := range names {
		if strings.TrimSpace(form.Get(n)) == "" {
			errs = append(errs, validation.FieldError{Path: n, Message: "is required"})
		}
	}
	if errs != nil {
		return invalid(errs)
	}
	return nil
}

// twilioInboundSMS receives a text from a contact: it finds the contact by
// phone (creating it when unknown), applies STOP/START to its SMS
// do-not-disturb, keeps the text as an inbound message and raises
// customer_replied (one transaction), which enrolls, reaches the contact's
// running enrollments and ends those with stop_on_response.
// Twilio's retries carry the same MessageSid and change nothing.
func (s *server) twilioInboundSMS(c echo.Context) error {
	form, acct, err := s.twilioForm(c)
	if err != nil {
		return err
	}
	if err := requiredForm(form, "MessageSid", "From"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sid := form.Get("MessageSid")
	if prev, err := s.findEvent(ctx, acct.ID, sid); err != nil || prev != nil {
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, echo.MIMETextXMLCharsetUTF8, []byte(emptyTwiML))
	}
	from, err := contacts.NormalizePhone(form.Get("From"), s.region())
	if err != nil {
		return invalidAt("From", "%s", err.Error())
	}
	contactID, _, err := s.contactBy(ctx, acct.ID, "phone", from, contacts.Input{Phone: &from})
	if err != nil {
		return err
	}
	body := form.Get("Body")
	// The opt keyword is applied before the event is routed, so nothing
	// the reply sets off texts a contact who just said STOP.
	if optOut, optIn := providerevents.Keyword(body); optOut || optIn {
		dnd := optOut
		if _, err := s.contacts.Update(ctx, acct.ID, contactID, contacts.Input{DND: &contacts.DND{SMS: &dnd}}); err != nil {
			return fmt.Errorf("setting SMS do-not-disturb from %q: %w", body, err)
		}
	}
	data := map[string]any{"channel": "sms", "body": body, "message_id": sid, "from": from, "to": form.Get("To")}
	if media := mediaURLs(form); len(media) > 0 {
		data["media_urls"] = media
	}
	ev := &models.Event{ID: models.NewID(), AccountID: acct.ID, ExternalID: sid,
		Type: "customer_replied", ContactID: contactID, Data: data, OccurredAt: time.Now().UTC()}
	msg := inboundMessage(ev, from, form.Get("To"), body)
	ev, dup, err := s.raiseWith(ctx, ev, func(tx *gorm.DB) error {
		// The key is a second guard beside the event's dedupe, which
		// holds only while the event is kept (retention prunes events).
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).
			Create(msg).Error
		if err != nil {
			return fmt.Errorf("storing inbound SMS %s: %w", sid, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "inbound SMS", slog.String("account_id", acct.ID), slog.String("event_id", ev.ID),
		slog.String("contact_id", contactID), slog.Bool("duplicate", dup))
	return c.Blob(http.StatusOK, echo.MIMETextXMLCharsetUTF8, []byte(emptyTwiML))
}

// inboundMessage is the text Twilio delivered, as a message of the
// contact its reply event names; the MessageSid keys it, once per account.
func inboundMessage(ev *models.Event, from, to, body string) *models.Message {
	key := "twilio-inbound:" + ev.AccountID + ":" + ev.ExternalID
	return &models.Message{ID: models.NewID(), AccountID: ev.AccountID, ContactID: ev.ContactID, IdempotencyKey: &key,
		Channel: "sms", Direction: models.MessageInbound, From: from, To: to, Body: body,
		Status: models.MessageReceived, Provider: "twilio", ProviderID: ev.ExternalID,
		CreatedAt: ev.OccurredAt, UpdatedAt: ev.OccurredAt}
}

// mediaURLs lists an MMS's media (MediaUrl0, MediaUrl1... up to NumMedia).
func mediaURLs(form url.Values) []any {
	var out []any
	for i := 0; ; i++ {
		u := form.Get(fmt.Sprintf("MediaUrl%d", i))
		if u == "" {
			return out
		}
		out = append(out, u)
	}
}

// twilioStatus records a delivery status callback on the message Twilio
// sent (found by its MessageSid). Callbacks may arrive out of order; a
// status never replaces a later one (delivered is not undone by sent).
func (s *server) twilioStatus(c echo.Context) error {
	form, acct, err := s.twilioForm(c)
	if err != nil {
		return err
	}
	if err := requiredForm(form, "MessageSid", "MessageStatus"); err != nil {
		return err
	}
	status, ok := providerevents.MessageStatus(form.Get("MessageStatus"))
	if !ok {
		return invalidAt("MessageStatus", "%q is not a status of an outbound message", form.Get("MessageStatus"))
	}
	ctx := c.Request().Context()
	var msg models.Message
	// Only what we sent has a delivery status; an inbound text's sid is not ours to update.
	err = s.db.WithContext(ctx).Where("account_id = ? AND provider_id = ? AND direction = ?",
		acct.ID, form.Get("MessageSid"), models.MessageOutbound).Limit(1).Find(&msg).Error
	if err != nil {
		return fmt.Errorf("finding message %s: %w", form.Get("MessageSid"), err)
	}
	if msg.ID == "" {
		return notFound("message", validation.FieldError{Path: "MessageSid", Message: "no message was sent with this sid"})
	}
	var earlier []string
	for _, st := range []string{models.MessageSending, models.MessageQueued, models.MessageSent,
		models.MessageDelivered, models.MessageUndelivered, models.MessageFailed} {
		if r := providerevents.StatusRank(st); r > 0 && r < providerevents.StatusRank(status) {
			earlier = append(earlier, st)
		}
	}
	// One conditional update: two callbacks at once cannot move it back.
	res := s.db.WithContext(ctx).Model(&models.Message{}).Where("id = ? AND status IN ?", msg.ID, earlier).
		Updates(map[string]any{"status": status, "error": providerevents.StatusError(form.Get("ErrorCode"), form.Get("ErrorMessage"))})
	if res.Error != nil {
		return fmt.Errorf("updating message %s to %s: %w", msg.ID, status, res.Error)
	}
	return c.NoContent(http.StatusNoContent)
}
