package records

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// NoteInput is a new note. Notes are not edited: a correction is a new note.
type NoteInput struct {
	Body   *string `json:"body"`
	UserID *string `json:"user_id"`
}

// noteBodyLimit keeps notes to what a person writes; bigger payloads belong elsewhere.
const noteBodyLimit = 64 << 10

// GetNote loads a note of the account.
func (s *Service) GetNote(ctx context.Context, accountID, id string) (*models.Note, error) {
	var n models.Note
	if err := first(s.DB.WithContext(ctx), "note", accountID, id, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// AddNote stores a note on a contact and raises note_added {"note_id"}.
func (s *Service) AddNote(ctx context.Context, accountID, contactID string, in NoteInput) (*models.Note, error) {
	return s.AddNoteWithID(ctx, accountID, contactID, models.NewID(), in)
}

// AddNoteWithID is AddNote with the note's id chosen by the caller: a
// workflow step derives it from its idempotency key, so that a retry finds
// the note it made (the insert fails with gorm.ErrDuplicatedKey).
func (s *Service) AddNoteWithID(ctx context.Context, accountID, contactID, id string, in NoteInput) (*models.Note, error) {
	n := &models.Note{ID: id, AccountID: accountID, ContactID: contactID}
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		if ok, err := contactExists(tx, accountID, contactID); err != nil || !ok {
			if err == nil {
				err = &NotFoundError{What: "contact"}
			}
			return nil, err
		}
		p := validation.NewProblems()
		if in.Body != nil {
			n.Body = strings.TrimSpace(*in.Body)
		}
		switch {
		case n.Body == "":
			p.Add("body", "is required")
		case len(n.Body) > noteBodyLimit:
			p.Add("body", "is at most %d bytes", noteBodyLimit)
		}
		if err := optionalUser(tx, p, "user_id", accountID, in.UserID, &n.UserID); err != nil {
			return nil, err
		}
		if errs := p.Errors(); errs != nil {
			return nil, errs
		}
		if err := tx.Create(n).Error; err != nil {
			return nil, fmt.Errorf("creating note: %w", err)
		}
		return []*models.Event{newEvent(accountID, contactID, "note_added", map[string]any{"note_id": n.ID})}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetNote(ctx, accountID, n.ID)
}

// DeleteNote removes a note.
func (s *Service) DeleteNote(ctx context.Context, accountID, id string) error {
	res := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Note{})
	if res.Error != nil {
		return fmt.Errorf("deleting note %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return &NotFoundError{What: "note"}
	}
	return nil
}

// optionalUser sets *dst from a user id given in the input: nil leaves it,
// "" clears it, anything else must be a user of the account (a 422 naming
// path otherwise: the id is part of the body, not of the URL).
func optionalUser(tx *gorm.DB, p *validation.Problems, path, accountID string, in *string, dst **string) error {
	if in == nil {
		return nil
	}
	id := strings.TrimSpace(*in)
	if id == "" {
		*dst = nil
		return nil
	}
	ok, err := userExists(tx, accountID, id)
	if err != nil {
		return err
	}
	if !ok {
		p.Add(path, "no user %q in this account", id)
		return nil
	}
	*dst = &id
	return nil
}
