package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/models"
)

// MessageAnswer is a message sent or recorded, or an inbound text.
type MessageAnswer struct {
	ID           string    `json:"id"`
	Channel      string    `json:"channel"`
	Direction    string    `json:"direction"`
	To           string    `json:"to"`
	From         string    `json:"from"`
	Subject      string    `json:"subject"`
	Body         string    `json:"body"`
	Status       string    `json:"status"`
	Provider     string    `json:"provider"`
	ProviderID   string    `json:"provider_id"`
	Error        string    `json:"error"`
	ContactID    string    `json:"contact_id"`
	EnrollmentID string    `json:"enrollment_id"`
	StepID       string    `json:"step_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func messageAnswer(m *models.Message) MessageAnswer {
	return MessageAnswer{ID: m.ID, Channel: m.Channel, Direction: m.Direction, To: m.To, From: m.From, Subject: m.Subject, Body: m.Body,
		Status: m.Status, Provider: m.Provider, ProviderID: m.ProviderID, Error: m.Error, ContactID: m.ContactID,
		EnrollmentID: m.EnrollmentID, StepID: m.StepID, CreatedAt: utc(m.CreatedAt), UpdatedAt: utc(m.UpdatedAt)}
}

// messageChannels are the channels messages go out on.
var messageChannels = []string{"sms", "email"}

// messageDirections: sent by us, or received from a contact.
var messageDirections = []string{models.MessageInbound, models.MessageOutbound}

// listMessages lists messages, oldest first, filtered by ?contact_id=,
// ?enrollment_id=, ?channel= and ?direction=.
func (s *server) listMessages(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	channel := qr.oneOf("channel", messageChannels)
	direction := qr.oneOf("direction", messageDirections)
	if err := qr.err(); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	if channel != "" {
		q = q.Where("channel = ?", channel)
	}
	if direction != "" {
		q = q.Where("direction = ?", direction)
	}
	for _, f := range []string{"contact_id", "enrollment_id"} {
		if v := qr.text(f); v != "" {
			q = q.Where(f+" = ?", v)
		}
	}
	var rows []models.Message
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Message) string { return m.ID }, messageAnswer))
}
