package api

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// existingContactOnly are event types about something a known contact did
// (replied, opened an email): POST /v1/events never creates their contact.
var existingContactOnly = map[string]bool{"customer_replied": true, "email_event": true}

// idFields are the events the product raises itself about a record, and
// the key of their data (contract.md) that names the record.
var idFields = map[string]string{
	"contact_tag_added": "tag", "contact_tag_removed": "tag",
	"note_added": "note_id", "task_added": "task_id", "task_completed": "task_id",
	"appointment_booked": "appointment_id", "appointment_status_changed": "appointment_id",
	"opportunity_created": "opportunity_id", "opportunity_status_changed": "opportunity_id",
	"pipeline_stage_changed": "opportunity_id", "trigger_link_clicked": "link_id",
}

// defaultStatus is the status a posted payment or invoice event has when it
// names none: the event's type already says it.
var defaultStatus = map[string]string{"payment_received": "succeeded", "invoice_paid": "paid"}

var (
	decimalPattern  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	currencyPattern = regexp.MustCompile(`^[A-Za-z]{3}$`)
)

// checkEventData holds a posted event of a type the product raises itself
// to the data shape contract.md gives for it, so filters and templates
// written for the product's own events work on posted ones too. It
// normalises what it can: amounts become decimal strings, currencies lower
// case, a payment's missing status its type's. Other types carry any data.
func checkEventData(typ string, data map[string]any) validation.Errors {
	p := validation.NewProblems().At("data")
	str := func(key string, required bool) (string, bool) {
		v, present := data[key]
		s, isString := v.(string)
		switch {
		case !present || v == nil:
			if required {
				p.Add(key, "is required for %s events", typ)
			}
			return "", false
		case !isString:
			p.Add(key, "must be a string, not %s", validation.JSONType(v))
			return "", false
		}
		return s, true
	}
	oneOf := func(key string, allowed []string) {
		if s, ok := str(key, true); ok && !slices.Contains(allowed, s) {
			p.Add(key, "must be one of %s", strings.Join(allowed, ", "))
		}
	}
	if key, ok := idFields[typ]; ok {
		if s, ok := str(key, true); ok && strings.TrimSpace(s) == "" {
			p.Add(key, "cannot be empty")
		}
	}
	switch typ {
	case "customer_replied":
		oneOf("channel", triggers.ReplyChannels)
		str("body", true)
		str("message_id", false)
	case "email_event":
		oneOf("event", triggers.EmailEvents)
		str("message_id", false)
		str("url", false)
	case "contact_dnd_changed":
		oneOf("channel", []string{"sms", "email", "all"})
		if _, ok := data["dnd"].(bool); !ok {
			p.Add("dnd", "is required for %s events: true or false", typ)
		}
	case "contact_changed":
		list, ok := data["changed"].([]any)
		if !ok {
			p.Add("changed", "is required for %s events: the list of changed fields", typ)
		}
		for i, v := range list {
			if _, ok := v.(string); !ok {
				p.Add(fmt.Sprintf("changed[%d]", i), "must be a field name")
			}
		}
	case "payment_received", "invoice_paid", "subscription_changed":
		checkMoney(p, typ, data)
		if s, ok := defaultStatus[typ]; ok && data["status"] == nil {
			data["status"] = s
		}
		str("status", true)
	}
	return p.Errors()
}

// checkMoney requires amount (a decimal string in major units, or a number,
// which becomes one) and currency (an ISO 4217 code, kept in lower case as
// Stripe writes it).
func checkMoney(p *validation.Problems, typ string, data map[string]any) {
	switch a := data["amount"].(type) {
	case nil:
		p.Add("amount", "is required for %s events: a decimal string in major units, e.g. \"49.00\"", typ)
	case float64:
		data["amount"] = strconv.FormatFloat(a, 'f', -1, 64)
	case string:
		if !decimalPattern.MatchString(strings.TrimSpace(a)) {
			p.Add("amount", "must be a decimal number in major units, e.g. \"49.00\"")
		} else {
			data["amount"] = strings.TrimSpace(a)
		}
	default:
		p.Add("amount", "must be a decimal string, not %s", validation.JSONType(a))
	}
	switch c := data["currency"].(type) {
	case nil:
		p.Add("currency", "is required for %s events: a three-letter currency code such as usd", typ)
	case string:
		if !currencyPattern.MatchString(c) {
			p.Add("currency", "must be a three-letter currency code such as usd")
		} else {
			data["currency"] = strings.ToLower(c)
		}
	default:
		p.Add("currency", "must be a string, not %s", validation.JSONType(c))
	}
}
