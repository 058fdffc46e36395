package triggerlinks

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/models"
)

// URL is the contact's own tracked URL of a link, under base (the public
// URL of the API, e.g. https://crm.example.com).
func (s *Service) URL(ctx context.Context, base, linkID, contactID string) (string, error) {
	key, err := s.Keys.Key(ctx, keyName)
	if err != nil {
		return "", err
	}
	code, err := encode(key, linkID, contactID)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(base, "/") + "/l/" + code, nil
}

// ForContact maps the id of every link of the account to the contact's URL
// of it: the trigger_link object that templates read. Links of other
// accounts are never in it, so they render as empty text.
func (s *Service) ForContact(ctx context.Context, base, accountID, contactID string) (map[string]any, error) {
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&models.TriggerLink{}).Where("account_id = ?", accountID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("listing trigger links: %w", err)
	}
	out := make(map[string]any, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	key, err := s.Keys.Key(ctx, keyName)
	if err != nil {
		return nil, err
	}
	base = strings.TrimRight(base, "/")
	for _, id := range ids {
		code, err := encode(key, id, contactID)
		if err != nil {
			return nil, err
		}
		out[id] = base + "/l/" + code
	}
	return out, nil
}
