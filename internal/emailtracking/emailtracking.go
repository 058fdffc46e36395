// Package emailtracking tracks what contacts do with the emails workflows
// send them: an open pixel, click wrapping of the links, and an unsubscribe
// link. Each use of a tracked URL is counted on the message and raises
// email_event ({"event": "opened|clicked|unsubscribed", "message_id", "url"})
// for the contact, through the events outbox and the router, so it fires
// email_event triggers and reaches running enrollments.
package emailtracking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/models"
)

// EventType is the event every interaction raises.
const EventType = "email_event"

// Paths of the tracked URLs under the base URL (CRMFLOW_PUBLIC_URL, else
// the API's own address); the API serves them.
const (
	OpenPath        = "/t/o/" // + code + ".gif"
	ClickPath       = "/t/c/"
	UnsubscribePath = "/t/u/"
	PixelSuffix     = ".gif"
)

// DefaultDedupWindow folds repeated clicks on one link of one message (a
// double click, a mail scanner's prefetch right before the person's own
// click) into one event.
const DefaultDedupWindow = 5 * time.Second

// ErrNotFound is a code that is forged or damaged, or whose message or
// contact no longer exists (callers must not say which).
var ErrNotFound = errors.New("tracked email link not found")

// Service prepares emails for tracking and records what their tracked URLs report.
type Service struct {
	DB   *gorm.DB
	Keys *installkeys.Store
	// Contacts sets the email do-not-disturb of a contact who unsubscribes
	// (raising contact_dnd_changed like any other DND change).
	Contacts *contacts.Service
	Router   contacts.Router // routes the email events; nil records them only
	Log      *slog.Logger
	// DedupWindow: clicks on one link of one message within it raise one
	// event; 0 means DefaultDedupWindow.
	DedupWindow time.Duration
}

// Email is the content of a message as the step rendered it.
type Email struct {
	HTML, Text string
	// UnsubscribeMarker is what {{unsubscribe_url}} rendered to in HTML and
	// Text; Prepare replaces it with the message's unsubscribe URL.
	UnsubscribeMarker string
}

// Prepared is the content to send.
type Prepared struct {
	HTML, Text     string
	UnsubscribeURL string
	// Headers are List-Unsubscribe and List-Unsubscribe-Post (RFC 8058
	// one-click), so mail clients show their own unsubscribe button.
	Headers map[string]string
}

// Prepare wraps every http(s) link of the HTML for click tracking, adds the
// open pixel and fills in the unsubscribe URL, for the message messageID
// under base. The result depends only on its input and the install key, so
// a retried send prepares the very same message. Text is left as written
// (its URL of {{unsubscribe_url}} filled in); when it is empty it is
// derived from the tracked HTML, so its links are tracked too.
func (s *Service) Prepare(ctx context.Context, base, messageID string, in Email) (Prepared, error) {
	key, err := s.Keys.Key(ctx, keyName)
	if err != nil {
		return Prepared{}, err
	}
	base = strings.TrimRight(base, "/")
	url := func(kind byte, path, target, suffix string) (string, error) {
		code, err := encode(key, kind, messageID, target)
		if err != nil {
			return "", err
		}
		return base + path + code + suffix, nil
	}
	unsub, err := url(kindUnsubscribe, UnsubscribePath, "", "")
	if err != nil {
		return Prepared{}, err
	}
	pixel, err := url(kindOpen, OpenPath, "", PixelSuffix)
	if err != nil {
		return Prepared{}, err
	}
	out := Prepared{UnsubscribeURL: unsub, Headers: map[string]string{
		"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}}
	fill := func(s string) string {
		if in.UnsubscribeMarker == "" {
			return s
		}
		return strings.ReplaceAll(s, in.UnsubscribeMarker, unsub)
	}
	if in.HTML != "" {
		var werr error
		out.HTML = wrapLinks(in.HTML, func(target string) (string, bool) {
			if len(target) > maxURLLen || strings.HasPrefix(target, base+"/t/") {
				return "", false
			}
			w, err := url(kindClick, ClickPath, target, "")
			if err != nil {
				werr = err
				return "", false
			}
			return w, true
		})
		if werr != nil {
			return Prepared{}, werr
		}
		// The marker is filled in after wrapping: the unsubscribe link is
		// not a click to track (it would also unsubscribe with one request
		// fewer than it takes).
		out.HTML = addPixel(fill(out.HTML), pixel)
	}
	out.Text = fill(in.Text)
	if out.Text == "" && out.HTML != "" {
		out.Text = PlainText(out.HTML)
	}
	return out, nil
}

// Open records that the message was opened (its pixel loaded). Only the
// first open raises an event; later ones (every time the mail is viewed)
// are counted.
func (s *Service) Open(ctx context.Context, code string) error {
	_, err := s.hit(ctx, code, kindOpen)
	return err
}

// Click records a click and returns the original URL to redirect to.
func (s *Service) Click(ctx context.Context, code string) (string, error) {
	return s.hit(ctx, code, kindClick)
}

// Unsubscribe sets the contact's email do-not-disturb and raises
// email_event unsubscribed (once per message).
func (s *Service) Unsubscribe(ctx context.Context, code string) error {
	msg, _, err := s.resolve(ctx, code, kindUnsubscribe)
	if err != nil {
		return err
	}
	on := true
	if _, err := s.Contacts.Update(ctx, msg.AccountID, msg.ContactID, contacts.Input{DND: &contacts.DND{Email: &on}}); err != nil {
		if errors.Is(err, contacts.ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("unsubscribing contact %s: %w", msg.ContactID, err)
	}
	return s.record(ctx, msg, models.EmailUnsubscribed, "")
}

func (s *Service) hit(ctx context.Context, code string, kind byte) (string, error) {
	msg, d, err := s.resolve(ctx, code, kind)
	if err != nil {
		return "", err
	}
	k := models.EmailOpened
	if kind == kindClick {
		k = models.EmailClicked
	}
	return d.url, s.record(ctx, msg, k, d.url)
}

// resolve checks the code and finds its message; the contact must still
// exist in the message's account.
func (s *Service) resolve(ctx context.Context, code string, kind byte) (*models.Message, decoded, error) {
	key, err := s.Keys.Key(ctx, keyName)
	if err != nil {
		return nil, decoded{}, err
	}
	d, err := decode(key, code)
	if err != nil || d.kind != kind {
		return nil, decoded{}, ErrNotFound
	}
	var msg models.Message
	if err := s.DB.WithContext(ctx).Where("id = ? AND channel = ?", d.messageID, "email").Limit(1).Find(&msg).Error; err != nil {
		return nil, decoded{}, fmt.Errorf("loading message %s: %w", d.messageID, err)
	}
	if msg.ID == "" || msg.ContactID == "" {
		return nil, decoded{}, ErrNotFound
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&models.Contact{}).Where("account_id = ? AND id = ?", msg.AccountID, msg.ContactID).
		Count(&n).Error; err != nil {
		return nil, decoded{}, fmt.Errorf("loading contact %s: %w", msg.ContactID, err)
	}
	if n == 0 {
		return nil, decoded{}, ErrNotFound
	}
	return &msg, d, nil
}

// record counts the interaction and writes the events it raises in the same
// transaction (the outbox), then routes them. A click on a message whose
// pixel never loaded (images blocked) counts as its first open too.
func (s *Service) record(ctx context.Context, msg *models.Message, kind, url string) error {
	var events []*models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		if kind == models.EmailClicked {
			ev, err := s.count(tx, msg, models.EmailOpened, "", now, false)
			if err != nil {
				return err
			}
			if ev != nil {
				events = append(events, ev)
			}
		}
		ev, err := s.count(tx, msg, kind, url, now, true)
		if err != nil {
			return err
		}
		if ev != nil {
			events = append(events, ev)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.Router == nil {
		return nil
	}
	for _, ev := range events {
		if rerr := s.Router.Route(ctx, ev); rerr != nil && s.Log != nil {
			// The interaction is recorded and the visitor still goes on;
			// the sweeper routes the stored event again.
			s.Log.ErrorContext(ctx, "routing email event failed; the sweeper will retry",
				"account_id", ev.AccountID, "event_id", ev.ID, "error", rerr)
		}
	}
	return nil
}

// count adds one interaction (when counted) and returns the event to raise,
// if any: the first of each kind raises one; a click on a link again raises
// another once the dedup window has passed. Both writes are single-row
// statements whose conditions the database checks, so concurrent hits
// raise one event between them.
func (s *Service) count(tx *gorm.DB, msg *models.Message, kind, url string, now time.Time, counted bool) (*models.Event, error) {
	hash := ""
	if url != "" {
		sum := sha256.Sum256([]byte(url))
		hash = hex.EncodeToString(sum[:])
	}
	row := models.EmailInteraction{MessageID: msg.ID, Kind: kind, URLHash: hash, URL: url, AccountID: msg.AccountID,
		ContactID: msg.ContactID, Hits: 1, FirstAt: now, LastAt: now, LastEventAt: now}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("recording email %s: %w", kind, res.Error)
	}
	raise := res.RowsAffected == 1
	if !raise && counted {
		where := tx.Model(&models.EmailInteraction{}).Where("message_id = ? AND kind = ? AND url_hash = ?", msg.ID, kind, hash).
			Session(&gorm.Session{})
		if kind == models.EmailClicked {
			window := s.DedupWindow
			if window <= 0 {
				window = DefaultDedupWindow
			}
			res = where.Where("last_event_at < ?", now.Add(-window)).Update("last_event_at", now)
			if res.Error != nil {
				return nil, fmt.Errorf("recording email %s: %w", kind, res.Error)
			}
			raise = res.RowsAffected == 1
		}
		err := where.Updates(map[string]any{"hits": gorm.Expr("hits + 1"), "last_at": now}).Error
		if err != nil {
			return nil, fmt.Errorf("counting email %s: %w", kind, err)
		}
	}
	if !raise {
		return nil, nil
	}
	data := map[string]any{"event": kind, "message_id": msg.ID}
	if url != "" {
		data["url"] = url
	}
	id := models.NewID()
	ev := &models.Event{ID: id, AccountID: msg.AccountID, ExternalID: id, Type: EventType, ContactID: msg.ContactID,
		Data: data, OccurredAt: now}
	if err := tx.Create(ev).Error; err != nil {
		return nil, fmt.Errorf("recording %s event: %w", EventType, err)
	}
	return ev, nil
}
