// Package records keeps the account's CRM records other than contacts (team
// users, notes, tasks, pipelines and their stages, opportunities,
// appointments) and raises the events their changes mean (note_added,
// task_completed, pipeline_stage_changed, appointment_booked...). Like the
// contacts service it writes each event in the same transaction as the
// change (an outbox) and routes it after the commit, so a change and its
// event are never separated, and the sweeper routes what a crash left.
package records

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
)

// Router routes raised events to the workflows whose triggers match.
type Router interface {
	Route(ctx context.Context, ev *models.Event) error
}

// Service changes records of every kind this package holds.
type Service struct {
	DB     *gorm.DB
	Router Router
	Log    *slog.Logger
	// DefaultRegion reads phone numbers without a country code ("US" when empty).
	DefaultRegion string
}

// NotFoundError is a record that does not exist in the account (or belongs
// to another one, which must look exactly the same).
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }

// ConflictError is a change refused because of other records, e.g. deleting
// a stage that still holds opportunities. Path names the input at fault.
type ConflictError struct {
	Path    string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// IsNotFound reports whether err says a record is missing.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// first loads one row of the account by id, as a NotFoundError when missing.
func first[M any](tx *gorm.DB, what, accountID, id string, dst *M) error {
	err := tx.Where("account_id = ? AND id = ?", accountID, id).First(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &NotFoundError{What: what}
	}
	if err != nil {
		return fmt.Errorf("loading %s %s: %w", what, id, err)
	}
	return nil
}

// forUpdate locks the rows a transaction reads so that two concurrent
// changes of one record are applied one after the other, each seeing the
// other's result (and raising its own events only for what it changed).
// SQLite has no row locks; its transactions take the write lock up front
// (_txlock=immediate), which serialises them already.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if models.IsPostgres(tx) {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// contactExists checks that the contact is the account's.
func contactExists(tx *gorm.DB, accountID, id string) (bool, error) {
	var n int64
	if err := tx.Model(&models.Contact{}).Where("account_id = ? AND id = ?", accountID, id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("looking up contact %s: %w", id, err)
	}
	return n == 1, nil
}

// userExists checks that the user is the account's.
func userExists(tx *gorm.DB, accountID, id string) (bool, error) {
	var n int64
	if err := tx.Model(&models.User{}).Where("account_id = ? AND id = ?", accountID, id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("looking up user %s: %w", id, err)
	}
	return n == 1, nil
}

// newEvent is an event about a contact, raised by a record change.
func newEvent(accountID, contactID, typ string, data map[string]any) *models.Event {
	id := models.NewID()
	return &models.Event{ID: id, AccountID: accountID, ExternalID: id, Type: typ, ContactID: contactID,
		Data: data, OccurredAt: time.Now().UTC()}
}

// change runs fn in a transaction, saves the events it raised with the
// change, and routes them once committed.
func (s *Service) change(ctx context.Context, fn func(tx *gorm.DB) ([]*models.Event, error)) error {
	var events []*models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		evs, err := fn(tx)
		if err != nil {
			return err
		}
		events = evs
		return contacts.SaveEvents(tx, events)
	})
	if err != nil {
		return err
	}
	s.route(ctx, events)
	return nil
}

func (s *Service) route(ctx context.Context, events []*models.Event) {
	contacts.RouteEvents(ctx, s.Router, s.Log, events)
}

func (s *Service) region() string {
	if s.DefaultRegion == "" {
		return "US"
	}
	return s.DefaultRegion
}
