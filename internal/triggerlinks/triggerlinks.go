// Package triggerlinks manages trigger links: tracked URLs that
// {{trigger_link.<id>}} renders per contact, that redirect to the link's
// destination and raise trigger_link_clicked for that contact when opened.
package triggerlinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// ErrNotFound is a link that does not exist in the account, or a code that
// names no link (callers must not say which).
var ErrNotFound = errors.New("trigger link not found")

// EventType is the event a click raises.
const EventType = "trigger_link_clicked"

// Limits of the fields.
const (
	maxNameLen = 200
	maxURLLen  = 2048
	// DefaultDedupWindow folds repeated clicks (a double tap, a mail
	// client's prefetch right before the person's own click) into one event.
	DefaultDedupWindow = 5 * time.Second
)

// Service manages links and their clicks.
type Service struct {
	DB     *gorm.DB
	Keys   *installkeys.Store
	Router contacts.Router // routes the click events; nil records them only
	Log    *slog.Logger
	// DedupWindow: clicks of one contact on one link within it raise one
	// event; 0 means DefaultDedupWindow.
	DedupWindow time.Duration
}

// Input is a link as the API receives it; nil fields are left alone.
type Input struct {
	Name           *string `json:"name"`
	DestinationURL *string `json:"destination_url"`
}

// apply validates the input onto l; create requires both fields.
func (in Input) apply(l *models.TriggerLink, create bool) validation.Errors {
	p := validation.NewProblems()
	if in.Name != nil {
		l.Name = strings.TrimSpace(*in.Name)
	}
	if (create || in.Name != nil) && l.Name == "" {
		p.Add("name", "is required")
	} else if len(l.Name) > maxNameLen {
		p.Add("name", "is at most %d characters", maxNameLen)
	}
	if in.DestinationURL != nil {
		l.DestinationURL = strings.TrimSpace(*in.DestinationURL)
	}
	if create || in.DestinationURL != nil {
		if msg := checkURL(l.DestinationURL); msg != "" {
			p.Add("destination_url", "%s", msg)
		}
	}
	return p.Errors()
}

// checkURL returns why a destination cannot be used, or "".
func checkURL(raw string) string {
	if raw == "" {
		return "is required: an absolute http or https URL"
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("is at most %d characters", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a URL: " + err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must be an http or https URL"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "must be an absolute URL with a host"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	return ""
}

// Create stores a new link.
func (s *Service) Create(ctx context.Context, accountID string, in Input) (*models.TriggerLink, error) {
	l := &models.TriggerLink{ID: models.NewID(), AccountID: accountID}
	if errs := in.apply(l, true); errs != nil {
		return nil, errs
	}
	if err := s.DB.WithContext(ctx).Create(l).Error; err != nil {
		return nil, fmt.Errorf("creating trigger link: %w", err)
	}
	return l, nil
}

// Get loads a link of the account.
func (s *Service) Get(ctx context.Context, accountID, id string) (*models.TriggerLink, error) {
	var l models.TriggerLink
	err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Limit(1).Find(&l).Error
	if err != nil {
		return nil, fmt.Errorf("loading trigger link %s: %w", id, err)
	}
	if l.ID == "" {
		return nil, ErrNotFound
	}
	return &l, nil
}

// Update applies a patch.
func (s *Service) Update(ctx context.Context, accountID, id string, in Input) (*models.TriggerLink, error) {
	l, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if errs := in.apply(l, false); errs != nil {
		return nil, errs
	}
	l.UpdatedAt = time.Now().UTC()
	err = s.DB.WithContext(ctx).Model(&models.TriggerLink{}).Where("id = ?", l.ID).
		Updates(map[string]any{"name": l.Name, "destination_url": l.DestinationURL, "updated_at": l.UpdatedAt}).Error
	if err != nil {
		return nil, fmt.Errorf("updating trigger link %s: %w", id, err)
	}
	return l, nil
}

// InUseError refuses to delete a link that published workflows still
// render or listen for: their sends would carry a dead link.
type InUseError = definitions.InUseError

// Delete removes a link; every URL rendered for it then answers 404. A link
// that published workflows use is refused with an *InUseError.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := definitions.RefuseInUse(tx, accountID, "the trigger link", "", usesLink(id)); err != nil {
			return err
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&models.TriggerLink{})
		if res.Error != nil {
			return fmt.Errorf("deleting trigger link %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Where("link_id = ?", id).Delete(&models.TriggerLinkClick{}).Error
	})
}

// Template is what a builder writes in a step to render a link.
func Template(id string) string { return "{{trigger_link." + id + "}}" }

// usesLink matches the live versions that mention the link anywhere.
func usesLink(linkID string) func(*definitions.Live) bool {
	return func(l *definitions.Live) bool { return bytes.Contains(l.Definition, []byte(linkID)) }
}
