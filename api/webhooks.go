package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
)

// webhookRoutes registers the provider webhooks. They carry no API key: the
// provider signs each call (X-Twilio-Signature, Stripe-Signature) and the
// account is in the path. They take no Idempotency-Key either: a provider's
// own id (MessageSid, Stripe's event id) deduplicates its retries.
func (s *server) webhookRoutes(e *echo.Echo) {
	e.POST("/v1/webhooks/twilio/:account_id/sms", s.twilioInboundSMS)
	e.POST("/v1/webhooks/twilio/:account_id/status", s.twilioStatus)
	e.POST("/v1/webhooks/stripe/:account_id", s.stripeWebhook)
}

// webhookAccount loads the account a webhook URL names; called once the
// signature holds, so an unsigned call learns nothing about accounts.
func (s *server) webhookAccount(c echo.Context) (*models.Account, error) {
	var a models.Account
	err := s.db.WithContext(c.Request().Context()).Where("id = ?", param(c, "account_id")).Limit(1).Find(&a).Error
	if err != nil {
		return nil, fmt.Errorf("loading account of webhook: %w", err)
	}
	if a.ID == "" {
		return nil, notFound("account")
	}
	return &a, nil
}

// typeBadSignature is the problem type of a webhook call that is not signed
// by the provider it claims to come from.
const typeBadSignature = "urn:crmflow:problem:invalid-signature"

// refused is the 401 answer to a webhook call whose signature does not hold.
func refused(detail string) *Problem {
	return typed(http.StatusUnauthorized, typeBadSignature, "Invalid signature", detail)
}

// publicURL is the URL the caller used, as it would have written it: under
// CRMFLOW_PUBLIC_URL when set (behind a proxy the request's own host is not
// the one the provider was given), else the request's scheme and host.
func (s *server) publicURL(c echo.Context) string {
	base := strings.TrimRight(s.opts.PublicURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + c.Request().URL.RequestURI()
}

// contactBy finds the account's contact whose field has the value, or
// creates one from in when none has it.
func (s *server) contactBy(ctx context.Context, acct, field, value string, in contacts.Input) (id string, created bool, err error) {
	if id, err = s.findContact(ctx, acct, field, value); err != nil || id != "" {
		return id, false, err
	}
	ct, err := s.contacts.Create(ctx, acct, in)
	if err != nil {
		return "", false, fmt.Errorf("creating contact with %s %s: %w", field, value, err)
	}
	return ct.ID, true, nil
}
