package triggerlinks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
)

// Click handles an opened URL: it checks the code's signature, records the
// click and raises trigger_link_clicked for the contact (once per dedup
// window), and returns where to redirect. Any code that does not lead to a
// live link of the contact's own account is ErrNotFound, whatever the
// reason, so probing learns nothing.
func (s *Service) Click(ctx context.Context, code string) (destination string, ev *models.Event, err error) {
	key, err := s.Keys.Key(ctx, keyName)
	if err != nil {
		return "", nil, err
	}
	linkID, contactID, err := decode(key, code)
	if err != nil {
		return "", nil, ErrNotFound
	}
	var link models.TriggerLink
	if err := s.DB.WithContext(ctx).Where("id = ?", linkID).Limit(1).Find(&link).Error; err != nil {
		return "", nil, fmt.Errorf("loading trigger link %s: %w", linkID, err)
	}
	if link.ID == "" {
		return "", nil, ErrNotFound
	}
	var contact models.Contact
	err = s.DB.WithContext(ctx).Select("id", "account_id").Where("account_id = ? AND id = ?", link.AccountID, contactID).
		Limit(1).Find(&contact).Error
	if err != nil {
		return "", nil, fmt.Errorf("loading contact %s: %w", contactID, err)
	}
	if contact.ID == "" {
		return "", nil, ErrNotFound
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var terr error
		ev, terr = s.record(tx, &link, contactID)
		return terr
	})
	if err != nil {
		return "", nil, err
	}
	if ev != nil && s.Router != nil {
		if rerr := s.Router.Route(ctx, ev); rerr != nil && s.Log != nil {
			// The click is recorded and the visitor still goes on; the
			// sweeper routes the stored event again.
			s.Log.ErrorContext(ctx, "routing trigger link click failed; the sweeper will retry",
				"account_id", ev.AccountID, "event_id", ev.ID, "error", rerr)
		}
	}
	return link.DestinationURL, ev, nil
}

// record counts the click and, unless the contact clicked the link within
// the dedup window, writes the event in the same transaction (the outbox).
// Both writes are single-row statements whose conditions are checked by the
// database, so concurrent clicks raise one event between them.
func (s *Service) record(tx *gorm.DB, link *models.TriggerLink, contactID string) (*models.Event, error) {
	now := time.Now().UTC()
	window := s.DedupWindow
	if window <= 0 {
		window = DefaultDedupWindow
	}
	evID := models.NewID()
	row := models.TriggerLinkClick{LinkID: link.ID, ContactID: contactID, AccountID: link.AccountID, Clicks: 1,
		FirstAt: now, LastAt: now, LastEventAt: now, LastEventID: evID}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("recording click: %w", res.Error)
	}
	raise := res.RowsAffected == 1
	if !raise {
		res = tx.Model(&models.TriggerLinkClick{}).
			Where("link_id = ? AND contact_id = ? AND last_event_at < ?", link.ID, contactID, now.Add(-window)).
			Updates(map[string]any{"last_event_at": now, "last_event_id": evID})
		if res.Error != nil {
			return nil, fmt.Errorf("recording click: %w", res.Error)
		}
		raise = res.RowsAffected == 1
		err := tx.Model(&models.TriggerLinkClick{}).Where("link_id = ? AND contact_id = ?", link.ID, contactID).
			Updates(map[string]any{"clicks": gorm.Expr("clicks + 1"), "last_at": now}).Error
		if err != nil {
			return nil, fmt.Errorf("counting click: %w", err)
		}
	}
	if !raise {
		return nil, nil
	}
	ev := &models.Event{ID: evID, AccountID: link.AccountID, ExternalID: evID, Type: EventType, ContactID: contactID,
		Data: map[string]any{"link_id": link.ID, "url": link.DestinationURL}, OccurredAt: now}
	if err := tx.Create(ev).Error; err != nil {
		return nil, fmt.Errorf("recording %s event: %w", EventType, err)
	}
	return ev, nil
}
