// Package inboundhooks runs inbound webhooks: every inbound_webhook trigger
// of a workflow gets a secret URL; a payload sent there creates or updates
// the contact it names and raises an inbound_webhook event that enters only
// that workflow. The last payloads are kept as samples to map fields from.
package inboundhooks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// Errors the API turns into answers.
var (
	// ErrNotFound is an unknown token, or a workflow or trigger that does not exist.
	ErrNotFound = errors.New("inbound webhook not found")
)

const (
	// MaxBody is the largest payload accepted.
	MaxBody = 256 << 10
	// SamplesKept is how many requests are kept per hook, newest first.
	SamplesKept = 20
	// tokenBytes of randomness in a token: 256 bits.
	tokenBytes = 32
	// PathPrefix is where hook URLs live under the public URL.
	PathPrefix = "/v1/hooks/"
)

// Service runs inbound webhooks.
type Service struct {
	DB       *gorm.DB
	Contacts *contacts.Service
	Router   contacts.Router // nil records events without routing them
	Log      *slog.Logger
}

// URL is a hook's address under base (the API's public URL).
func URL(base, token string) string { return strings.TrimRight(base, "/") + PathPrefix + token }

func newToken() (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generating webhook token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// hookTriggers lists the ids of a definition's inbound_webhook triggers.
func hookTriggers(raw []byte) ([]string, error) {
	var def definition.Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("reading workflow definition: %w", err)
	}
	var ids []string
	for _, t := range def.Triggers {
		if t.Type == triggers.InboundWebhookType {
			ids = append(ids, t.ID)
		}
	}
	return ids, nil
}

// Tokens makes sure every inbound_webhook trigger of the workflow's current
// definition has its hook, and returns each trigger's token. A hook is
// created the first time the workflow is saved (or answered) with the
// trigger, and then kept, so its URL does not change with edits.
func (s *Service) Tokens(ctx context.Context, wf *models.Workflow) (map[string]string, error) {
	ids, err := hookTriggers(wf.Definition)
	if err != nil || len(ids) == 0 {
		return map[string]string{}, err
	}
	db := s.DB.WithContext(ctx)
	out, err := s.tokens(db, wf.ID)
	if err != nil {
		return nil, err
	}
	created := false
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		token, hash, err := newToken()
		if err != nil {
			return nil, err
		}
		row := models.InboundWebhook{ID: models.NewID(), AccountID: wf.AccountID, WorkflowID: wf.ID, TriggerID: id,
			Token: token, TokenHash: hash}
		// Two saves at once both try; the unique (workflow, trigger) index keeps one.
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return nil, fmt.Errorf("creating webhook of trigger %s: %w", id, err)
		}
		created = true
	}
	if created {
		return s.tokens(db, wf.ID)
	}
	return out, nil
}

func (s *Service) tokens(db *gorm.DB, workflowID string) (map[string]string, error) {
	var rows []models.InboundWebhook
	if err := db.Select("trigger_id", "token").Where("workflow_id = ?", workflowID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("loading webhooks of workflow %s: %w", workflowID, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.TriggerID] = r.Token
	}
	return out, nil
}

// Hook returns the hook of a workflow's inbound_webhook trigger, creating
// it if needed. The trigger must be in the workflow's current definition.
func (s *Service) Hook(ctx context.Context, accountID, workflowID, triggerID string) (*models.InboundWebhook, error) {
	var wf models.Workflow
	err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, workflowID).Limit(1).Find(&wf).Error
	if err != nil {
		return nil, fmt.Errorf("loading workflow %s: %w", workflowID, err)
	}
	if wf.ID == "" {
		return nil, ErrNotFound
	}
	tokens, err := s.Tokens(ctx, &wf)
	if err != nil {
		return nil, err
	}
	if _, ok := tokens[triggerID]; !ok {
		return nil, ErrNotFound
	}
	var h models.InboundWebhook
	if err := s.DB.WithContext(ctx).Where("workflow_id = ? AND trigger_id = ?", workflowID, triggerID).First(&h).Error; err != nil {
		return nil, fmt.Errorf("loading webhook of trigger %s: %w", triggerID, err)
	}
	return &h, nil
}

// Rotate gives the trigger's hook a new token; the old URL stops working at once.
func (s *Service) Rotate(ctx context.Context, accountID, workflowID, triggerID string) (*models.InboundWebhook, error) {
	h, err := s.Hook(ctx, accountID, workflowID, triggerID)
	if err != nil {
		return nil, err
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	err = s.DB.WithContext(ctx).Model(&models.InboundWebhook{}).Where("id = ?", h.ID).
		Updates(map[string]any{"token": token, "token_hash": hash, "rotated_at": now}).Error
	if err != nil {
		return nil, fmt.Errorf("rotating webhook of trigger %s: %w", triggerID, err)
	}
	h.Token, h.TokenHash, h.RotatedAt = token, hash, &now
	return h, nil
}

// Lookup finds the hook of a token. The database finds it by the token's
// hash, and the token itself is then compared in constant time.
func (s *Service) Lookup(ctx context.Context, token string) (*models.InboundWebhook, error) {
	if len(token) < 20 || len(token) > 128 {
		return nil, ErrNotFound
	}
	var h models.InboundWebhook
	if err := s.DB.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Limit(1).Find(&h).Error; err != nil {
		return nil, fmt.Errorf("looking up webhook: %w", err)
	}
	if h.ID == "" || subtle.ConstantTimeCompare([]byte(h.Token), []byte(token)) != 1 {
		return nil, ErrNotFound
	}
	return &h, nil
}
