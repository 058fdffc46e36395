package models

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Open connects to the application database: a postgres:// URL, or else a
// SQLite file path (":memory:" for a private in-memory database). SQLite goes
// through the pure-Go modernc driver the Temporal server already links.
func Open(ctx context.Context, dsn string) (*gorm.DB, error) {
	cfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	var db *gorm.DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		db, err = gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("opening postgres: %w", err)
		}
	default:
		db, err = openSQLite(dsn, cfg)
		if err != nil {
			return nil, err
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return db, nil
}

func openSQLite(path string, cfg *gorm.Config) (*gorm.DB, error) {
	path = strings.TrimPrefix(path, "sqlite://")
	params := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate"
	var dsn string
	if path == ":memory:" || path == "" {
		// A named shared-cache memory database, so that every pooled
		// connection sees the same data; private to this process.
		dsn = fmt.Sprintf("file:crmflow-%s?mode=memory&cache=shared&%s", NewID(), params)
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("creating the database folder: %w", err)
		}
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&" + params
	}
	db, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// One writer at a time is all SQLite allows; a single connection turns
	// "database is locked" errors into ordinary queueing.
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}

// IsPostgres reports whether db talks to PostgreSQL.
func IsPostgres(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }
