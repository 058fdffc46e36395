package workflows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/customvalues"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// Data steps chain: each output feeds the next step's templates, a
// contact field and an account-wide value are written, and the SMS reads
// them all.
const dataChain = `{
  "name": "Order follow-up",
  "triggers": [{"id": "t1", "type": "order_submitted"}],
  "start": "total",
  "steps": [
    {"id": "total", "type": "math", "config": {"operation": "multiply", "left": "{{event.price}}", "right": "{{event.quantity}}", "target": "custom.last_order_total"}, "next": "money"},
    {"id": "money", "type": "format_number", "config": {"operation": "currency", "input": "{{steps.total.result}}", "currency": "EUR", "locale": "de-DE"}, "next": "due"},
    {"id": "due", "type": "math", "config": {"operation": "add", "unit": "months", "left": "{{event.ordered_on}}", "right": 1}, "next": "due_text"},
    {"id": "due_text", "type": "format_date", "config": {"operation": "format", "input": "{{steps.due.result}}", "format": "MMM D, YYYY"}, "next": "code"},
    {"id": "code", "type": "custom_code", "config": {"code": "return {tier: Number(inputs.total) > 100 ? 'gold' : 'silver'}", "inputs": {"total": "{{steps.total.result}}"}}, "next": "remember"},
    {"id": "remember", "type": "update_custom_value", "config": {"key": "last_order", "value": "{{steps.money.result}}"}, "next": "sms"},
    {"id": "sms", "type": "send_sms", "config": {"body": "{{contact.first_name}}: {{steps.money.result}} ({{steps.code.output.tier}}), due {{steps.due_text.result}}. Last order: {{custom_values.last_order}}. Call {{custom_values.office_phone}}"}}
  ]
}`

func TestDataStepsChainIntoASend(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Phone: ptr("+14155550123")})
	values := &customvalues.Service{DB: f.db}
	if _, err := values.Set(context.Background(), f.account.ID, "office_phone", "+1 415 555 0100"); err != nil {
		t.Fatal(err)
	}
	_, e := f.publish(dataChain)
	f.run(f.env(), e, &workflows.Event{ID: "ev1", Type: "order_submitted",
		Data: map[string]any{"price": "19.99", "quantity": 7, "ordered_on": "2026-01-31"}})

	if got := f.enrollment(e.ID); got.Status != models.EnrollmentCompleted {
		t.Fatalf("enrollment = %s (%s)", got.Status, got.ExitReason)
	}
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("messages = %d", len(msgs))
	}
	want := "Ada: 139,93 € (gold), due Feb 28, 2026. Last order: 139,93 €. Call +1 415 555 0100"
	if msgs[0].Body != want {
		t.Errorf("sms = %q\nwant  %q", msgs[0].Body, want)
	}
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if got := c.Fields()["custom"].(map[string]any)["last_order_total"]; got != "139.93" {
		t.Errorf("contact custom.last_order_total = %v", got)
	}
	if v, err := values.Get(context.Background(), f.account.ID, "last_order"); err != nil || v.Value != "139,93 €" {
		t.Errorf("custom value last_order = %+v, %v", v, err)
	}
	for _, r := range f.log(e.ID) {
		if r.StepID == "total" && r.Output["result"] != "139.93" {
			t.Errorf("math output logged = %v", r.Output)
		}
	}
}

func TestDivideByZeroFailsTheStepAtOnce(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Phone: ptr("+14155550123")})
	_, e := f.publish(`{"name": "x", "start": "d", "steps": [
	  {"id": "d", "type": "math", "config": {"operation": "divide", "left": "10", "right": "{{event.n}}"}, "retry": {"max_attempts": 5}}]}`)
	f.runFailing(f.env(), e, &workflows.Event{ID: "ev1", Type: "x", Data: map[string]any{"n": "0"}})
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentFailed || !strings.Contains(got.ExitReason, "cannot divide 10 by zero") {
		t.Errorf("enrollment = %s (%s), want failed naming the division", got.Status, got.ExitReason)
	}
	for _, r := range f.log(e.ID) {
		if r.Attempts > 1 {
			t.Errorf("the step was tried %d times; dividing by zero cannot get better", r.Attempts)
		}
	}
}
