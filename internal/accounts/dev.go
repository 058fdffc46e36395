package accounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// DevAccountName is the name of the account `crmflow dev` creates.
const DevAccountName = "Development"

// EnsureDev returns the dev account, creating it on first use, and an API key
// that opens it:
//   - fixedKey set (CRMFLOW_DEV_API_KEY): exactly that key, registered for the
//     dev account if it is not yet, so scripts can rely on a known key;
//   - else keyFile set: the key kept in that file, generated on first start
//     (mode 0600), so every restart prints the same key;
//   - else (ephemeral): a new key.
//
// Keys registered earlier stay valid: a script holding an older key keeps working.
func EnsureDev(ctx context.Context, db *gorm.DB, fixedKey, keyFile string) (*models.Account, string, error) {
	acct, err := devAccount(ctx, db)
	if err != nil {
		return nil, "", err
	}
	fixedKey = strings.TrimSpace(fixedKey)
	switch {
	case fixedKey != "":
		if err := ensureKey(ctx, db, acct, fixedKey); err != nil {
			return nil, "", fmt.Errorf("registering CRMFLOW_DEV_API_KEY: %w", err)
		}
		return acct, fixedKey, nil
	case keyFile != "":
		key, err := keyFromFile(keyFile)
		if err != nil {
			return nil, "", err
		}
		if key == "" {
			if key, err = NewKey(); err != nil {
				return nil, "", err
			}
			// File first, then database: if the insert fails the next start
			// reads the file and registers the same key.
			if err := writeKeyFile(keyFile, key); err != nil {
				return nil, "", err
			}
		}
		// Also covers a kept key whose database was wiped since.
		if err := ensureKey(ctx, db, acct, key); err != nil {
			return nil, "", fmt.Errorf("registering the dev API key from %s: %w", keyFile, err)
		}
		return acct, key, nil
	default:
		key, err := NewKey()
		if err != nil {
			return nil, "", err
		}
		if err := addKey(db.WithContext(ctx), acct.ID, key); err != nil {
			return nil, "", err
		}
		return acct, key, nil
	}
}

// devAccount finds the dev account or creates it (without a key: EnsureDev
// decides which key it gets).
func devAccount(ctx context.Context, db *gorm.DB) (*models.Account, error) {
	var acct models.Account
	if err := db.WithContext(ctx).Where("dev = ?", true).Order("created_at, id").Limit(1).Find(&acct).Error; err != nil {
		return nil, fmt.Errorf("looking up the dev account: %w", err)
	}
	if acct.ID != "" {
		return &acct, nil
	}
	acct = models.Account{ID: models.NewID(), Name: DevAccountName, Timezone: "UTC", Dev: true}
	if err := db.WithContext(ctx).Create(&acct).Error; err != nil {
		return nil, fmt.Errorf("creating the dev account: %w", err)
	}
	return &acct, nil
}

// ensureKey registers key for acct unless it already is; a key that opens
// another account is refused rather than moved.
func ensureKey(ctx context.Context, db *gorm.DB, acct *models.Account, key string) error {
	var k models.APIKey
	if err := db.WithContext(ctx).Where("hash = ?", HashKey(key)).Limit(1).Find(&k).Error; err != nil {
		return fmt.Errorf("looking up API key: %w", err)
	}
	switch {
	case k.ID == "":
		return addKey(db.WithContext(ctx), acct.ID, key)
	case k.AccountID != acct.ID:
		return errors.New("that key already belongs to another account")
	}
	return nil
}

func keyFromFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the dev API key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// writeKeyFile writes the key readable by its owner only, through a
// temporary file so a crash never leaves half a key behind.
func writeKeyFile(path, key string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".dev-api-key-*")
	if err != nil {
		return fmt.Errorf("writing the dev API key: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the dev API key: %w", err)
	}
	if _, err := tmp.WriteString(key + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the dev API key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the dev API key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the dev API key: %w", err)
	}
	return nil
}
