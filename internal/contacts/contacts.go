// Package contacts changes contact records and raises the events those
// changes mean (contact_created, contact_changed, contact_tag_added...). The
// API and the workflow steps both go through it, so a tag added by a step
// fires triggers exactly like one added by a person.
package contacts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// ErrNotFound is returned for a contact that does not exist in the account.
var ErrNotFound = errors.New("contact not found")

// Router routes raised events to the workflows whose triggers match.
type Router interface {
	Route(ctx context.Context, ev *models.Event) error
}

// Service changes contacts. Events are written in the same transaction as
// the change (an outbox), then routed; an event whose routing failed stays
// unrouted and is picked up again by the sweeper.
type Service struct {
	DB            *gorm.DB
	Router        Router
	Log           *slog.Logger
	DefaultRegion string // for phone numbers without a country code, e.g. "US"
}

// Get loads a contact of the account with its tags.
func (s *Service) Get(ctx context.Context, accountID, id string) (*models.Contact, error) {
	return get(s.DB.WithContext(ctx), accountID, id)
}

func get(tx *gorm.DB, accountID, id string) (*models.Contact, error) {
	var c models.Contact
	err := tx.Preload("Tags").Where("account_id = ? AND id = ?", accountID, id).First(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading contact %s: %w", id, err)
	}
	return &c, nil
}

// Create validates and stores a new contact and raises contact_created (and
// contact_tag_added for each tag it starts with).
func (s *Service) Create(ctx context.Context, accountID string, in Input) (*models.Contact, error) {
	return s.CreateWithID(ctx, accountID, models.NewID(), in)
}

// Check names the faults Create would find in in, without saving
// anything (the API adds them to the body's shape faults).
func (s *Service) Check(in Input) validation.Errors {
	return in.apply(&models.Contact{Custom: map[string]any{}}, s.region())
}

// CheckUpdate names the faults Update would find in in for the contact,
// without saving anything; an unknown contact is its not-found error.
func (s *Service) CheckUpdate(ctx context.Context, accountID, id string, in Input) (validation.Errors, error) {
	c, err := get(s.DB.WithContext(ctx), accountID, id)
	if err != nil {
		return nil, err
	}
	return in.apply(c, s.region()), nil
}

// CreateWithID is Create with the new contact's id chosen by the caller: a
// workflow step derives it from its idempotency key, so that a retry finds
// the contact it made (the insert fails with gorm.ErrDuplicatedKey) instead
// of making a second one.
func (s *Service) CreateWithID(ctx context.Context, accountID, id string, in Input) (*models.Contact, error) {
	c := &models.Contact{ID: id, AccountID: accountID, Custom: map[string]any{}}
	if errs := in.apply(c, s.region()); errs != nil {
		return nil, errs
	}
	var events []*models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("Tags").Create(c).Error; err != nil {
			return fmt.Errorf("creating contact: %w", err)
		}
		events = append(events, newEvent(c, "contact_created", map[string]any{}))
		if in.Tags != nil {
			added, err := addTags(tx, c, *in.Tags)
			if err != nil {
				return err
			}
			for _, t := range added {
				events = append(events, newEvent(c, "contact_tag_added", map[string]any{"tag": t}))
			}
		}
		return SaveEvents(tx, events)
	})
	if err != nil {
		return nil, err
	}
	s.route(ctx, events)
	return s.Get(ctx, accountID, c.ID)
}

// Update applies a patch and raises contact_changed with what changed (and
// tag events when the patch replaces the tags).
func (s *Service) Update(ctx context.Context, accountID, id string, in Input) (*models.Contact, error) {
	var events []*models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := get(tx, accountID, id)
		if err != nil {
			return err
		}
		before := c.Fields()
		dndBefore := map[string]bool{"sms": c.DNDSMS, "email": c.DNDEmail}
		if errs := in.apply(c, s.region()); errs != nil {
			return errs
		}
		if err := tx.Omit("Tags").Save(c).Error; err != nil {
			return fmt.Errorf("updating contact %s: %w", id, err)
		}
		if in.Tags != nil {
			evs, err := replaceTags(tx, c, *in.Tags)
			if err != nil {
				return err
			}
			events = append(events, evs...)
		}
		after := c.Fields()
		if changed := changedFields(before, after); len(changed) > 0 {
			events = append([]*models.Event{newEvent(c, "contact_changed", map[string]any{
				"changed": changed, "before": before, "after": after,
			})}, events...)
		}
		events = append(events, dndEvents(c, dndBefore)...)
		return SaveEvents(tx, events)
	})
	if err != nil {
		return nil, err
	}
	s.route(ctx, events)
	return s.Get(ctx, accountID, id)
}

// Delete removes a contact with its tags.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Contact{})
		if res.Error != nil {
			return fmt.Errorf("deleting contact %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Where("contact_id = ?", id).Delete(&models.ContactTag{}).Error
	})
}

// AddTags adds tags and raises contact_tag_added for each one the contact did
// not have; it returns those.
func (s *Service) AddTags(ctx context.Context, accountID, id string, tags []string) ([]string, error) {
	return s.changeTags(ctx, accountID, id, tags, true)
}

// RemoveTags removes tags and raises contact_tag_removed for each one the
// contact had; it returns those.
func (s *Service) RemoveTags(ctx context.Context, accountID, id string, tags []string) ([]string, error) {
	return s.changeTags(ctx, accountID, id, tags, false)
}

func (s *Service) changeTags(ctx context.Context, accountID, id string, tags []string, add bool) ([]string, error) {
	var changed []string
	var events []*models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := get(tx, accountID, id)
		if err != nil {
			return err
		}
		typ := "contact_tag_removed"
		if add {
			typ = "contact_tag_added"
			changed, err = addTags(tx, c, tags)
		} else {
			changed, err = removeTags(tx, c, tags)
		}
		if err != nil {
			return err
		}
		for _, t := range changed {
			events = append(events, newEvent(c, typ, map[string]any{"tag": t}))
		}
		if len(changed) > 0 {
			if err := tx.Model(&models.Contact{}).Where("id = ?", c.ID).Update("updated_at", time.Now().UTC()).Error; err != nil {
				return fmt.Errorf("touching contact %s: %w", c.ID, err)
			}
		}
		return SaveEvents(tx, events)
	})
	if err != nil {
		return nil, err
	}
	s.route(ctx, events)
	return changed, nil
}

func (s *Service) region() string {
	if s.DefaultRegion == "" {
		return "US"
	}
	return s.DefaultRegion
}

func newEvent(c *models.Contact, typ string, data map[string]any) *models.Event {
	id := models.NewID()
	return &models.Event{ID: id, AccountID: c.AccountID, ExternalID: id, Type: typ, ContactID: c.ID,
		Data: data, OccurredAt: time.Now().UTC()}
}

// SaveEvents writes raised events in the transaction of the change that
// raised them (the outbox); route them with RouteEvents once it commits.
func SaveEvents(tx *gorm.DB, events []*models.Event) error {
	for _, ev := range events {
		if err := tx.Create(ev).Error; err != nil {
			return fmt.Errorf("recording %s event: %w", ev.Type, err)
		}
	}
	return nil
}

func (s *Service) route(ctx context.Context, events []*models.Event) {
	RouteEvents(ctx, s.Router, s.Log, events)
}

// RouteEvents hands committed events to the router. A failure is logged,
// not returned: the change itself succeeded, and the sweeper retries routing.
func RouteEvents(ctx context.Context, r Router, log *slog.Logger, events []*models.Event) {
	if r == nil {
		return
	}
	for _, ev := range events {
		if err := r.Route(ctx, ev); err != nil && log != nil {
			log.ErrorContext(ctx, "routing event failed; the sweeper will retry",
				"account_id", ev.AccountID, "event_id", ev.ID, "type", ev.Type, "error", err)
		}
	}
}

// normalizeTag trims a tag; tags compare without regard to case.
func normalizeTag(t string) string { return strings.TrimSpace(t) }
