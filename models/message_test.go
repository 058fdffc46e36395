package models_test

import (
	"context"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
)

// Messages stored before they had a direction were all sends: migrating
// adds the column and they read outbound.
func TestMigrateAddsMessageDirectionAsOutbound(t *testing.T) {
	db := testdb.Open(t)
	if err := db.Migrator().DropColumn(&models.Message{}, "direction"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO messages (id, account_id, contact_id, channel, to_addr, body, status, created_at, updated_at)
		VALUES ('m1', 'a', 'c', 'sms', '+1', 'hi', 'sent', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var m models.Message
	if err := db.First(&m, "id = ?", "m1").Error; err != nil {
		t.Fatal(err)
	}
	if m.Direction != models.MessageOutbound {
		t.Fatalf("an old message reads direction %q", m.Direction)
	}
	// A send written without a direction (as the activities write it) is outbound too.
	sent := models.Message{ID: models.NewID(), AccountID: "a", ContactID: "c", Channel: "sms", To: "+1", Body: "hi", Status: models.MessageSent}
	if err := db.Create(&sent).Error; err != nil {
		t.Fatal(err)
	}
	var got models.Message
	if err := db.First(&got, "id = ?", sent.ID).Error; err != nil || got.Direction != models.MessageOutbound {
		t.Fatalf("a new send reads direction %q (%v)", got.Direction, err)
	}
}
