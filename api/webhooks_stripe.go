package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/providerevents"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// StripeAnswer answers a Stripe webhook call. Stripe only reads the status
// code; the body is for people reading Stripe's delivery log.
type StripeAnswer struct {
	// Result is "accepted" (recorded and routed), "duplicate" (Stripe
	// retried an event already recorded) or "ignored" (a Stripe event type
	// crmflow does not use, or one naming no customer to find a contact by).
	Result      string             `json:"result"`
	Reason      string             `json:"reason,omitempty"`
	EventID     string             `json:"event_id,omitempty"`
	ContactID   string             `json:"contact_id,omitempty"`
	Enrollments []EnrollmentAnswer `json:"enrollments"`
}

// stripeWebhook receives a Stripe event: payment_intent.succeeded and
// charge.succeeded raise payment_received, invoice.paid invoice_paid, and
// customer.subscription.* subscription_changed, for the contact with the
// object's customer id, else its email (created when unknown).
func (s *server) stripeWebhook(c echo.Context) error {
	payload, err := readBody(c)
	if err != nil {
		return err
	}
	if err := providerevents.VerifyStripe(payload, c.Request().Header.Get("Stripe-Signature"), s.opts.StripeWebhookSecret); err != nil {
		detail := err.Error()
		if s.opts.StripeWebhookSecret == "" {
			detail = "Stripe webhooks cannot be verified: STRIPE_WEBHOOK_SECRET is not set"
		}
		return refused(detail)
	}
	acct, err := s.webhookAccount(c)
	if err != nil {
		return err
	}
	sev, err := providerevents.ParseStripe(payload)
	if err != nil {
		return problem(http.StatusBadRequest, err.Error())
	}
	answer := func(a StripeAnswer) error {
		if a.Enrollments == nil {
			a.Enrollments = []EnrollmentAnswer{}
		}
		return c.JSON(http.StatusOK, a)
	}
	if sev.Type == "" {
		// Acknowledged so that Stripe does not retry what we will never use.
		return answer(StripeAnswer{Result: "ignored", Reason: "crmflow does not use " + sev.StripeType + " events"})
	}
	ctx := c.Request().Context()
	prev, err := s.findEvent(ctx, acct.ID, sev.ID)
	if err != nil {
		return err
	}
	if prev == nil {
		contactID, reason, err := s.stripeContact(c, acct.ID, sev)
		if err != nil {
			return err
		}
		if contactID == "" {
			s.log.WarnContext(ctx, "Stripe event ignored", "account_id", acct.ID, "stripe_event", sev.ID, "reason", reason)
			return answer(StripeAnswer{Result: "ignored", Reason: reason})
		}
		ev, dup, err := s.raise(ctx, &models.Event{ID: models.NewID(), AccountID: acct.ID, ExternalID: sev.ID,
			Type: sev.Type, ContactID: contactID, Data: sev.Data, OccurredAt: sev.OccurredAt})
		if err != nil {
			return err
		}
		if !dup {
			return s.answerStripe(c, "accepted", ev)
		}
		prev = ev
	}
	return s.answerStripe(c, "duplicate", prev)
}

func (s *server) answerStripe(c echo.Context, result string, ev *models.Event) error {
	byID, err := s.loadEnrollments(c.Request().Context(), ev.AccountID, ev.Enrollments)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, StripeAnswer{Result: result, EventID: ev.ID, ContactID: ev.ContactID,
		Enrollments: s.inOrder(ev.Enrollments, byID)})
}

// stripeContact finds the event's contact by Stripe customer id, else by
// email; a contact found by email is linked to the customer, and an unknown
// email creates one. No customer and no email: "" and why.
func (s *server) stripeContact(c echo.Context, acct string, sev *providerevents.StripeEvent) (id, reason string, err error) {
	ctx := c.Request().Context()
	if sev.CustomerID != "" {
		if id, err = s.findContact(ctx, acct, "stripe_customer_id", sev.CustomerID); err != nil || id != "" {
			return id, "", err
		}
	}
	if sev.Email == "" {
		if sev.CustomerID == "" {
			return "", "the " + sev.StripeType + " object names no customer and carries no email", nil
		}
		return "", "no contact has Stripe customer " + sev.CustomerID + " and the " + sev.StripeType + " object carries no email", nil
	}
	in := contacts.Input{Email: &sev.Email}
	if sev.CustomerID != "" {
		in.StripeCustomerID = &sev.CustomerID
	}
	id, created, err := s.contactBy(ctx, acct, "email", sev.Email, in)
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		return "", "the email " + sev.Email + " cannot be a contact's", nil
	}
	if err != nil || created || sev.CustomerID == "" {
		return id, "", err
	}
	// Found by email: remember the customer, so that later events that
	// carry only the customer id (subscriptions) find the contact too.
	ct, err := s.contacts.Get(ctx, acct, id)
	if err != nil {
		return "", "", err
	}
	if ct.StripeCustomerID == "" {
		if _, err := s.contacts.Update(ctx, acct, id, contacts.Input{StripeCustomerID: &sev.CustomerID}); err != nil {
			return "", "", err
		}
	}
	return id, "", nil
}
