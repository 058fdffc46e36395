// Package installkeys keeps secrets generated once per installation (the
// key that signs trigger link codes, for one) in the application database,
// so they survive restarts and every process of the installation (API,
// workers) uses the same one.
package installkeys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
)

// keySize is the size of a generated key: 256 bits.
const keySize = 32

// Store hands out install keys, generating each on first use. Keys never
// change once written, so they are cached.
type Store struct {
	DB *gorm.DB

	mu    sync.Mutex
	cache map[string][]byte
}

// Key returns the key called name, creating it the first time. Concurrent
// first uses (two processes starting at once) agree: the insert ignores a
// conflict and everyone reads back the row that won.
func (s *Store) Key(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.cache[name]; ok {
		return k, nil
	}
	fresh := make([]byte, keySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generating install key %s: %w", name, err)
	}
	db := s.DB.WithContext(ctx)
	row := models.InstallKey{Name: name, Key: hex.EncodeToString(fresh)}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, fmt.Errorf("storing install key %s: %w", name, err)
	}
	var stored models.InstallKey
	if err := db.Where("name = ?", name).First(&stored).Error; err != nil {
		return nil, fmt.Errorf("reading install key %s: %w", name, err)
	}
	k, err := hex.DecodeString(stored.Key)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("install key %s in the database is damaged", name)
	}
	if s.cache == nil {
		s.cache = map[string][]byte{}
	}
	s.cache[name] = k
	return k, nil
}
