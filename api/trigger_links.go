package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/inboundhooks"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/triggerlinks"
	"github.com/crmflow/crmflow/models"
)

// TriggerLinkAnswer is a trigger link. Template is what to write in a step
// to render each contact's own tracked URL of it.
type TriggerLinkAnswer struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	DestinationURL string    `json:"destination_url"`
	Template       string    `json:"template"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func triggerLinkAnswer(l *models.TriggerLink) TriggerLinkAnswer {
	return TriggerLinkAnswer{ID: l.ID, Name: l.Name, DestinationURL: l.DestinationURL, Template: triggerlinks.Template(l.ID),
		CreatedAt: utc(l.CreatedAt), UpdatedAt: utc(l.UpdatedAt)}
}

// linkAndHookRoutes registers trigger links and inbound webhooks: the
// managed resources under /v1 with an API key, and the two public doors
// (GET /l/<code>, /v1/hooks/<token>) whose secret is in the URL itself.
func (s *server) linkAndHookRoutes(e *echo.Echo) {
	if s.opts.TriggerLinks == nil || s.opts.InboundHooks == nil {
		keys := &installkeys.Store{DB: s.db}
		if s.opts.TriggerLinks == nil {
			s.opts.TriggerLinks = &triggerlinks.Service{DB: s.db, Keys: keys, Router: s.enrollments, Log: s.log}
		}
		if s.opts.InboundHooks == nil {
			s.opts.InboundHooks = &inboundhooks.Service{DB: s.db, Contacts: s.contacts, Router: s.enrollments, Log: s.log}
		}
	}
	s.v1(e, http.MethodPost, "/v1/trigger-links", s.createTriggerLink)
	s.v1(e, http.MethodGet, "/v1/trigger-links", s.listTriggerLinks)
	s.v1(e, http.MethodGet, "/v1/trigger-links/:id", s.getTriggerLink)
	s.v1(e, http.MethodPatch, "/v1/trigger-links/:id", s.updateTriggerLink)
	s.v1(e, http.MethodDelete, "/v1/trigger-links/:id", s.deleteTriggerLink)
	e.GET("/l/:code", s.openTriggerLink)

	s.v1(e, http.MethodPost, "/v1/workflows/:id/triggers/:trigger_id/rotate-webhook", s.rotateWebhook)
	s.v1(e, http.MethodGet, "/v1/workflows/:id/triggers/:trigger_id/samples", s.listWebhookSamples)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodGet} {
		e.Add(m, inboundhooks.PathPrefix+":token", s.receiveWebhook)
	}
}

func linkProblem(err error) error {
	if errors.Is(err, triggerlinks.ErrNotFound) {
		return notFound("trigger link")
	}
	return err
}

func (s *server) createTriggerLink(c echo.Context) error {
	var in triggerlinks.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	l, err := s.opts.TriggerLinks.Create(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, triggerLinkAnswer(l))
}

func (s *server) getTriggerLink(c echo.Context) error {
	l, err := s.opts.TriggerLinks.Get(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return linkProblem(err)
	}
	return c.JSON(http.StatusOK, triggerLinkAnswer(l))
}

func (s *server) updateTriggerLink(c echo.Context) error {
	var in triggerlinks.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	l, err := s.opts.TriggerLinks.Update(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return linkProblem(err)
	}
	return c.JSON(http.StatusOK, triggerLinkAnswer(l))
}

// deleteTriggerLink removes a link; URLs already sent for it answer 404.
func (s *server) deleteTriggerLink(c echo.Context) error {
	if err := s.opts.TriggerLinks.Delete(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return linkProblem(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listTriggerLinks(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	var rows []models.TriggerLink
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(l *models.TriggerLink) string { return l.ID }, triggerLinkAnswer))
}

// openTriggerLink is a contact opening their tracked URL: no API key, the
// signed code is the credential. A code that is forged, damaged, of a
// deleted link or of a deleted contact answers the same 404.
func (s *server) openTriggerLink(c echo.Context) error {
	dest, _, err := s.opts.TriggerLinks.Click(c.Request().Context(), c.Param("code"))
	if errors.Is(err, triggerlinks.ErrNotFound) {
		return notFound("link")
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	return c.Redirect(http.StatusFound, dest)
}
