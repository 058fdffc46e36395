// Package accounts creates tenants and their API keys and resolves a key back
// to its account. Keys are shown once and stored only as SHA-256 hashes, so a
// leaked database does not leak working credentials.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// KeyPrefix starts every generated API key, so a key is recognisable in logs
// and by secret scanners.
const KeyPrefix = "crm_"

// ErrInvalidKey is returned for a key that belongs to no account.
var ErrInvalidKey = errors.New("invalid API key")

const (
	keyBytes   = 32
	keyChars   = 43 // 32 bytes in base62 need at most 43 digits
	prefixLen  = 12 // stored in APIKey.Prefix to tell keys apart; not enough to guess the rest
	maxNameLen = 200
	base62     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Create stores a new account with one API key and returns the key; it is
// not recoverable afterwards. A bad name comes back as validation.Errors.
func Create(ctx context.Context, db *gorm.DB, name string) (*models.Account, string, error) {
	return create(ctx, db, name, false)
}

func create(ctx context.Context, db *gorm.DB, name string, dev bool) (*models.Account, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, "", validation.Errors{{Path: "name", Message: "is required"}}
	case len(name) > maxNameLen:
		return nil, "", validation.Errors{{Path: "name", Message: fmt.Sprintf("is at most %d characters", maxNameLen)}}
	}
	key, err := NewKey()
	if err != nil {
		return nil, "", err
	}
	acct := &models.Account{ID: models.NewID(), Name: name, Timezone: "UTC", Dev: dev}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(acct).Error; err != nil {
			return fmt.Errorf("creating account: %w", err)
		}
		return addKey(tx, acct.ID, key)
	})
	if err != nil {
		return nil, "", err
	}
	return acct, key, nil
}

// Authenticate returns the account a key belongs to, or ErrInvalidKey.
func Authenticate(ctx context.Context, db *gorm.DB, key string) (*models.Account, error) {
	if key == "" {
		return nil, ErrInvalidKey
	}
	// The lookup is by hash, so response timing reveals nothing about the key.
	var k models.APIKey
	err := db.WithContext(ctx).Where("hash = ?", HashKey(key)).Limit(1).Find(&k).Error
	if err != nil {
		return nil, fmt.Errorf("looking up API key: %w", err)
	}
	if k.ID == "" {
		return nil, ErrInvalidKey
	}
	var acct models.Account
	err = db.WithContext(ctx).Where("id = ?", k.AccountID).Limit(1).Find(&acct).Error
	if err != nil {
		return nil, fmt.Errorf("loading account of API key: %w", err)
	}
	if acct.ID == "" {
		return nil, ErrInvalidKey // the account was removed; its keys die with it
	}
	return &acct, nil
}

// NewKey returns a fresh random API key: KeyPrefix and 32 random bytes in base62.
func NewKey() (string, error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating API key: %w", err)
	}
	n := new(big.Int).SetBytes(b)
	digits := make([]byte, keyChars)
	base := big.NewInt(int64(len(base62)))
	mod := new(big.Int)
	// Fixed width (leading zeros kept) so every key has the same length.
	for i := keyChars - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		digits[i] = base62[mod.Int64()]
	}
	return KeyPrefix + string(digits), nil
}

// HashKey is what is stored for a key: its SHA-256 in hex. Keys carry 256
// random bits, so a plain hash (no salt, no stretching) is enough and keeps
// the lookup a single indexed query.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func addKey(tx *gorm.DB, accountID, key string) error {
	prefix := key
	if len(prefix) > prefixLen {
		prefix = prefix[:prefixLen]
	}
	row := models.APIKey{ID: models.NewID(), AccountID: accountID, Hash: HashKey(key), Prefix: prefix}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("storing API key: %w", err)
	}
	return nil
}
