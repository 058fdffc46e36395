package accounts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/accounts"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestCreateAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	acct, key, err := accounts.Create(ctx, db, "  Acme Dental  ")
	if err != nil {
		t.Fatal(err)
	}
	if acct.Name != "Acme Dental" || acct.Dev {
		t.Fatalf("account = %+v", acct)
	}
	if !strings.HasPrefix(key, accounts.KeyPrefix) || len(key) != len(accounts.KeyPrefix)+43 {
		t.Fatalf("key %q: want crm_ and 43 base62 digits", key)
	}
	got, err := accounts.Authenticate(ctx, db, key)
	if err != nil || got.ID != acct.ID {
		t.Fatalf("Authenticate = %v, %v; want account %s", got, err, acct.ID)
	}

	// Only the hash and a short prefix are stored, never the key.
	var rows []models.APIKey
	db.Find(&rows)
	if len(rows) != 1 || rows[0].Hash != accounts.HashKey(key) || len(rows[0].Hash) != 64 ||
		!strings.HasPrefix(key, rows[0].Prefix) || len(rows[0].Prefix) >= len(key)/2 {
		t.Fatalf("stored keys = %+v", rows)
	}

	for _, bad := range []string{"", key + "x", strings.TrimSuffix(key, key[len(key)-1:]), "crm_nope"} {
		if _, err := accounts.Authenticate(ctx, db, bad); !errors.Is(err, accounts.ErrInvalidKey) {
			t.Errorf("Authenticate(%q) error = %v, want ErrInvalidKey", bad, err)
		}
	}
}

func TestCreateRejectsBadNames(t *testing.T) {
	db := testdb.Open(t)
	for _, name := range []string{"", "   ", strings.Repeat("x", 201)} {
		_, _, err := accounts.Create(context.Background(), db, name)
		var verrs validation.Errors
		if !errors.As(err, &verrs) || verrs[0].Path != "name" {
			t.Errorf("Create(%q) error = %v, want a validation error at name", name, err)
		}
	}
	var n int64
	db.Model(&models.Account{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d accounts saved from bad input", n)
	}
}

func TestKeysAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := accounts.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
	}
}

func TestEnsureDevKeepsKeyInFile(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	file := filepath.Join(t.TempDir(), ".crmflow", "dev-api-key")

	acct, key, err := accounts.EnsureDev(ctx, db, "", file)
	if err != nil {
		t.Fatal(err)
	}
	if !acct.Dev {
		t.Fatalf("dev account not marked Dev: %+v", acct)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", st.Mode().Perm())
	}

	// A restart prints the same key for the same account.
	acct2, key2, err := accounts.EnsureDev(ctx, db, "", file)
	if err != nil {
		t.Fatal(err)
	}
	if acct2.ID != acct.ID || key2 != key {
		t.Fatalf("restart gave account %s key %q; want %s %q", acct2.ID, key2, acct.ID, key)
	}
	if got, err := accounts.Authenticate(ctx, db, key); err != nil || got.ID != acct.ID {
		t.Fatalf("Authenticate(dev key) = %v, %v", got, err)
	}
	var keys, accts int64
	db.Model(&models.APIKey{}).Count(&keys)
	db.Model(&models.Account{}).Count(&accts)
	if keys != 1 || accts != 1 {
		t.Fatalf("%d keys, %d accounts after a restart; want 1 and 1", keys, accts)
	}

	// A fresh database with the file kept: the kept key is registered again.
	db2 := testdb.Open(t)
	acct3, key3, err := accounts.EnsureDev(ctx, db2, "", file)
	if err != nil || key3 != key {
		t.Fatalf("EnsureDev on a new database = %q, %v; want the kept key", key3, err)
	}
	if got, err := accounts.Authenticate(ctx, db2, key); err != nil || got.ID != acct3.ID {
		t.Fatalf("Authenticate(kept key) = %v, %v", got, err)
	}
}

func TestEnsureDevFixedKey(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	file := filepath.Join(t.TempDir(), "dev-api-key")
	const fixed = "crm_my_scripts_key"

	acct, key, err := accounts.EnsureDev(ctx, db, fixed, file)
	if err != nil || key != fixed {
		t.Fatalf("EnsureDev = %q, %v; want the fixed key", key, err)
	}
	if got, err := accounts.Authenticate(ctx, db, fixed); err != nil || got.ID != acct.ID {
		t.Fatalf("Authenticate(fixed) = %v, %v", got, err)
	}
	// Again: nothing new is stored.
	if _, key, err = accounts.EnsureDev(ctx, db, fixed, file); err != nil || key != fixed {
		t.Fatalf("second EnsureDev = %q, %v", key, err)
	}
	var n int64
	db.Model(&models.APIKey{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d keys stored; want 1", n)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("a fixed key must not write the key file (stat: %v)", err)
	}

	// A key that opens another account is refused, not moved.
	_, other, err := accounts.Create(ctx, db, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := accounts.EnsureDev(ctx, db, other, ""); err == nil {
		t.Fatal("EnsureDev accepted another account's key")
	}
}

func TestEnsureDevEphemeral(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	a1, k1, err := accounts.EnsureDev(ctx, db, "", "")
	if err != nil {
		t.Fatal(err)
	}
	a2, k2, err := accounts.EnsureDev(ctx, db, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if a1.ID != a2.ID || k1 == k2 {
		t.Fatalf("ephemeral: accounts %s/%s keys %q/%q; want one account, two keys", a1.ID, a2.ID, k1, k2)
	}
	for _, k := range []string{k1, k2} {
		if _, err := accounts.Authenticate(ctx, db, k); err != nil {
			t.Fatalf("Authenticate(%q): %v", k, err)
		}
	}
}
