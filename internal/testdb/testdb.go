// Package testdb gives each test a fresh, migrated application database:
// SQLite in a temporary folder by default, or a private schema of the
// PostgreSQL server named by CRMFLOW_TEST_DATABASE_URL (as CI sets it).
package testdb

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// EnvVar names the PostgreSQL URL that switches tests to PostgreSQL.
const EnvVar = "CRMFLOW_TEST_DATABASE_URL"

// Open returns a migrated database that lives as long as the test.
func Open(t testing.TB) *gorm.DB {
	t.Helper()
	db, _ := open(t)
	return db
}

// OpenDSN is Open, also returning a DSN that reaches the same database (for
// code under test that opens its own connection).
func OpenDSN(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	return open(t)
}

func open(t testing.TB) (*gorm.DB, string) {
	ctx := context.Background()
	base := os.Getenv(EnvVar)
	var dsn string
	if base == "" {
		dsn = filepath.Join(t.TempDir(), "crmflow.db")
	} else {
		schema := "t_" + strings.ReplaceAll(models.NewID(), "-", "")
		admin, err := models.Open(ctx, base)
		if err != nil {
			t.Fatalf("connecting to %s: %v", EnvVar, err)
		}
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("creating test schema: %v", err)
		}
		t.Cleanup(func() {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			if sqlDB, err := admin.DB(); err == nil {
				sqlDB.Close()
			}
		})
		dsn = withSearchPath(t, base, schema)
	}
	db, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	if err := models.Migrate(ctx, db); err != nil {
		t.Fatalf("migrating test database: %v", err)
	}
	return db, dsn
}

func withSearchPath(t testing.TB, base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}
