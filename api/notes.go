package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
)

// NoteAnswer is a note on the wire; user_id is null for unsigned notes.
type NoteAnswer struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	UserID    *string   `json:"user_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func noteAnswer(n *models.Note) NoteAnswer {
	return NoteAnswer{ID: n.ID, ContactID: n.ContactID, UserID: n.UserID, Body: n.Body, CreatedAt: utc(n.CreatedAt)}
}

func (s *server) noteRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/contacts/:id/notes", s.addNote)
	s.v1(e, http.MethodGet, "/v1/contacts/:id/notes", s.listNotes)
	s.v1(e, http.MethodGet, "/v1/notes/:id", s.getNote)
	s.v1(e, http.MethodDelete, "/v1/notes/:id", s.deleteNote)
}

// addNote adds a note to the contact and fires note_added.
func (s *server) addNote(c echo.Context) error {
	var in records.NoteInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n, err := s.records().AddNote(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusCreated, noteAnswer(n))
}

func (s *server) getNote(c echo.Context) error {
	n, err := s.records().GetNote(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return recordError(err)
	}
	return c.JSON(http.StatusOK, noteAnswer(n))
}

func (s *server) deleteNote(c echo.Context) error {
	if err := s.records().DeleteNote(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return recordError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// listNotes lists a contact's notes, oldest first.
func (s *server) listNotes(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	contactID := param(c, "id")
	if err := s.requireContact(c, contactID); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ? AND contact_id = ?", account(c).ID, contactID)
	var rows []models.Note
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Note) string { return m.ID }, noteAnswer))
}
