package definitions

import (
	"context"
	"errors"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestPublishRefusesUnknownTriggerLinks(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	s := &Service{DB: db}
	acct, other := models.NewID(), models.NewID()
	for _, id := range []string{acct, other} {
		db.Create(&models.Account{ID: id, Name: id, Timezone: "UTC"})
	}
	mine := models.TriggerLink{ID: models.NewID(), AccountID: acct, Name: "offer", DestinationURL: "https://example.com"}
	theirs := models.TriggerLink{ID: models.NewID(), AccountID: other, Name: "x", DestinationURL: "https://example.com"}
	db.Create(&mine)
	db.Create(&theirs)
	publish := func(body string) error {
		wf, _, err := s.Create(ctx, acct, []byte(`{"name": "w", "start": "a", "steps": [{"id": "a", "type": "send_sms", "config": {"body": "`+body+`"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Publish(ctx, acct, wf.ID)
		return err
	}
	if err := publish("Go {{trigger_link." + mine.ID + "}}"); err != nil {
		t.Fatalf("a link of the account: %v", err)
	}
	for _, id := range []string{"nope", theirs.ID} {
		var errs validation.Errors
		if err := publish("Go {{trigger_link." + id + "}}"); !errors.As(err, &errs) || errs[0].Path != "steps[0].config" {
			t.Errorf("link %s: %v, want a fault at steps[0].config", id, err)
		}
	}
}
