package api

import (
	"net/http"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func (v *testEnv) seedMessage(acct, contact, channel string) models.Message {
	v.t.Helper()
	m := models.Message{ID: models.NewID(), AccountID: acct, ContactID: contact, EnrollmentID: "e1", StepID: "s1",
		Channel: channel, To: "+14155550123", From: "+14155550100", Body: "Hi Ada!", Status: models.MessageRecorded, Provider: "dev"}
	if err := v.db.Create(&m).Error; err != nil {
		v.t.Fatal(err)
	}
	return m
}

func TestListMessages(t *testing.T) {
	v := newEnv(t)
	a := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	b := v.createContact(map[string]any{"first_name": "Bob"})["id"].(string)
	m1 := v.seedMessage(v.acct.ID, a, "sms")
	m2 := v.seedMessage(v.acct.ID, b, "email")
	v.seedMessage(v.other.ID, a, "sms") // another account's row, even with a matching contact id

	var l List[MessageAnswer]
	v.do(http.MethodGet, "/v1/messages", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 || l.Items[0].ID != m1.ID || l.Items[1].ID != m2.ID || l.NextCursor != nil {
		t.Fatalf("messages = %+v", l)
	}
	got := l.Items[0]
	if got.Channel != "sms" || got.To != "+14155550123" || got.From != "+14155550100" || got.Body != "Hi Ada!" ||
		got.Status != "recorded" || got.Provider != "dev" || got.ContactID != a || got.EnrollmentID != "e1" || got.StepID != "s1" {
		t.Fatalf("message = %+v", got)
	}
	v.do(http.MethodGet, "/v1/messages?contact_id="+a, nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 1 || l.Items[0].ID != m1.ID {
		t.Fatalf("messages of a = %+v", l.Items)
	}
	v.do(http.MethodGet, "/v1/messages?channel=email", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 1 || l.Items[0].ID != m2.ID {
		t.Fatalf("email messages = %+v", l.Items)
	}
	if l.Items[0].Direction != "outbound" {
		t.Fatalf("a sent message's direction = %q", l.Items[0].Direction)
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/messages?limit=0", nil).problem(http.StatusBadRequest), "limit")

	// A text Ada sent us: only ?direction=inbound lists it, only outbound the others.
	in := models.Message{ID: models.NewID(), AccountID: v.acct.ID, ContactID: a, Channel: "sms", Direction: models.MessageInbound,
		From: "+14155550123", To: "+14155550100", Body: "Yes", Status: models.MessageReceived, Provider: "twilio", ProviderID: "SM1"}
	if err := v.db.Create(&in).Error; err != nil {
		t.Fatal(err)
	}
	v.do(http.MethodGet, "/v1/messages?contact_id="+a+"&direction=inbound", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 1 || l.Items[0].ID != in.ID || l.Items[0].Direction != "inbound" {
		t.Fatalf("inbound messages of a = %+v", l.Items)
	}
	v.do(http.MethodGet, "/v1/messages?direction=OUTBOUND", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 || l.Items[0].ID != m1.ID || l.Items[1].ID != m2.ID {
		t.Fatalf("outbound messages = %+v", l.Items)
	}
	v.do(http.MethodGet, "/v1/messages?contact_id="+a, nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 || l.Items[1].ID != in.ID {
		t.Fatalf("the conversation with a = %+v", l.Items)
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/messages?direction=sideways&channel=fax", nil).problem(http.StatusBadRequest),
		"channel", "direction")
}
