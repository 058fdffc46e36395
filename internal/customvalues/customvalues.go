// Package customvalues keeps account-wide custom values: named texts that
// any step's template reads as {{custom_values.<key>}}, changed through the
// API or by an update_custom_value step.
package customvalues

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

var (
	// ErrNotFound is a key the account does not have.
	ErrNotFound = errors.New("custom value not found")
	// ErrExists is a create of a key the account already has.
	ErrExists = errors.New("a custom value with this key already exists")
)

// MaxValueLen caps a value: these are snippets (a phone number, an offer),
// read by every step that mentions custom values.
const MaxValueLen = 10_000

// keyPattern keeps keys readable by Liquid as custom_values.<key>.
var keyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// CheckKey says why a key cannot be used, or nil.
func CheckKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%q is not a key: use letters, digits and _, not starting with a digit, at most 64 characters", key)
	}
	return nil
}

// Service reads and writes an account's custom values.
type Service struct{ DB *gorm.DB }

// Input is a custom value as the API receives it.
type Input struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

func checkValue(p *validation.Problems, v *string) {
	switch {
	case v == nil:
		p.Add("value", "is required")
	case len(*v) > MaxValueLen:
		p.Add("value", "is at most %d bytes", MaxValueLen)
	}
}

// Create adds a value; a key the account has answers ErrExists.
func (s *Service) Create(ctx context.Context, accountID string, in Input) (*models.CustomValue, error) {
	p := validation.NewProblems()
	if in.Key == nil || *in.Key == "" {
		p.Add("key", "is required")
	} else if err := CheckKey(*in.Key); err != nil {
		p.Add("key", "%s", err.Error())
	}
	checkValue(p, in.Value)
	if errs := p.Errors(); errs != nil {
		return nil, errs
	}
	v := &models.CustomValue{ID: models.NewID(), AccountID: accountID, Key: *in.Key, Value: *in.Value}
	res := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(v)
	if res.Error != nil {
		return nil, fmt.Errorf("creating custom value %s: %w", *in.Key, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrExists
	}
	return v, nil
}

// Get loads a value by key.
func (s *Service) Get(ctx context.Context, accountID, key string) (*models.CustomValue, error) {
	var v models.CustomValue
	res := s.DB.WithContext(ctx).Where("account_id = ? AND key = ?", accountID, key).Limit(1).Find(&v)
	if res.Error != nil {
		return nil, fmt.Errorf("loading custom value %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return &v, nil
}

// Update changes the value of an existing key.
func (s *Service) Update(ctx context.Context, accountID, key string, in Input) (*models.CustomValue, error) {
	p := validation.NewProblems()
	if in.Key != nil && *in.Key != key {
		p.Add("key", "cannot be changed (create a new value and delete this one)")
	}
	checkValue(p, in.Value)
	if errs := p.Errors(); errs != nil {
		return nil, errs
	}
	res := s.DB.WithContext(ctx).Model(&models.CustomValue{}).Where("account_id = ? AND key = ?", accountID, key).
		Updates(map[string]any{"value": *in.Value, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return nil, fmt.Errorf("updating custom value %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return s.Get(ctx, accountID, key)
}

// Set writes a value, creating the key when the account lacks it: what an
// update_custom_value step does. Writing the same value again is harmless,
// which makes the step's retries safe.
func (s *Service) Set(ctx context.Context, accountID, key, value string) (*models.CustomValue, error) {
	if err := CheckKey(key); err != nil {
		return nil, validation.Errors{{Path: "key", Message: err.Error()}}
	}
	if len(value) > MaxValueLen {
		return nil, validation.Errors{{Path: "value", Message: fmt.Sprintf("is at most %d bytes", MaxValueLen)}}
	}
	now := time.Now().UTC()
	v := &models.CustomValue{ID: models.NewID(), AccountID: accountID, Key: key, Value: value, CreatedAt: now, UpdatedAt: now}
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(v).Error
	if err != nil {
		return nil, fmt.Errorf("setting custom value %s: %w", key, err)
	}
	return s.Get(ctx, accountID, key)
}

// Delete removes a key; templates then read it as empty text.
func (s *Service) Delete(ctx context.Context, accountID, key string) error {
	res := s.DB.WithContext(ctx).Where("account_id = ? AND key = ?", accountID, key).Delete(&models.CustomValue{})
	if res.Error != nil {
		return fmt.Errorf("deleting custom value %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Map is every value of the account by key, as templates read them.
func (s *Service) Map(ctx context.Context, accountID string) (map[string]any, error) {
	var rows []models.CustomValue
	if err := s.DB.WithContext(ctx).Where("account_id = ?", accountID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("loading custom values: %w", err)
	}
	out := make(map[string]any, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// Template is what a step writes to read the value.
func Template(key string) string { return "{{custom_values." + strings.TrimSpace(key) + "}}" }
