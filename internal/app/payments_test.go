package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/testservers"
)

// TestStripeStepsThroughTheAPI wires STRIPE_API_KEY and STRIPE_API_BASE_URL
// (stripe-mock, behind a recording proxy) into `crmflow dev`, and runs a
// published workflow that charges and invoices a contact through the API.
func TestStripeStepsThroughTheAPI(t *testing.T) {
	mock := testservers.NewStripeMock(t)
	proxy := testservers.NewStripeProxy(t, mock.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config:        config.Config{LogFormat: "text", TemporalNamespace: "default", StripeAPIKey: "sk_test_crmflow", StripeBaseURL: proxy.URL},
		SweepInterval: time.Second})
	if err != nil {
		t.Fatalf("starting crmflow dev: %v", err)
	}
	defer d.Stop()

	var contact struct{ ID string }
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "stripe_customer_id": "cus_ada"}, &contact)
	var wf struct{ ID string }
	if code := call(t, d, "POST", "/v1/workflows", map[string]any{
		"name": "checkout", "triggers": []any{}, "start": "pay",
		"steps": []any{
			map[string]any{"id": "pay", "type": "stripe_charge", "config": map[string]any{"amount": "49.00", "currency": "usd", "description": "Plan for {{contact.first_name}}"}, "next": "bill"},
			map[string]any{"id": "bill", "type": "send_invoice", "config": map[string]any{"currency": "usd", "days_until_due": 7,
				"items": []any{map[string]any{"description": "Receipt for {{steps.pay.charge.id}}", "amount": "{{steps.pay.charge.amount}}"}}}},
		},
	}, &wf); code != 201 {
		t.Fatalf("saving the workflow: %d", code)
	}
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e struct{ ID string }
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e); code >= 300 {
		t.Fatalf("enrolling: %d", code)
	}
	waitFor(t, d, e.ID, "completed")

	var view struct {
		Steps []struct {
			StepID string         `json:"step_id"`
			Output map[string]any `json:"output"`
		} `json:"steps"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &view)
	outputs := map[string]map[string]any{}
	for _, s := range view.Steps {
		outputs[s.StepID] = s.Output
	}
	charge, _ := outputs["pay"]["charge"].(map[string]any)
	chargeID, _ := charge["id"].(string)
	if !strings.HasPrefix(chargeID, "pi_") || charge["amount"] != "49.00" {
		t.Errorf("pay output = %v", outputs["pay"])
	}
	if inv, _ := outputs["bill"]["invoice"].(map[string]any); inv == nil || !strings.HasPrefix(inv["id"].(string), "in_") {
		t.Errorf("bill output = %v", outputs["bill"])
	}
	intents := proxy.Requests("POST", "/v1/payment_intents")
	if len(intents) != 1 || intents[0].IdempotencyKey != e.ID+"/pay/1" || intents[0].Form.Get("description") != "Plan for Ada" {
		t.Errorf("payment intents = %+v", intents)
	}
	items := proxy.Requests("POST", "/v1/invoiceitems")
	if len(items) != 1 || items[0].Form.Get("description") != "Receipt for "+chargeID || items[0].Form.Get("amount") != "4900" ||
		items[0].IdempotencyKey != e.ID+"/bill/1/item/0" {
		t.Errorf("invoice items = %+v", items)
	}
	if sent := proxy.Requests("POST", "/v1/invoices/"); len(sent) != 2 || !strings.HasSuffix(sent[1].Path, "/send") {
		t.Errorf("finalise and send = %+v", sent)
	}
}
