package contacts

import (
	"fmt"
	"net/mail"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Input is a contact as the API receives it; nil fields are left alone, so
// the same type serves create and patch.
type Input struct {
	FirstName        *string        `json:"first_name"`
	LastName         *string        `json:"last_name"`
	Email            *string        `json:"email"`
	Phone            *string        `json:"phone"`
	Timezone         *string        `json:"timezone"`
	DateOfBirth      *string        `json:"date_of_birth"`
	Tags             *[]string      `json:"tags"`
	Custom           map[string]any `json:"custom"` // merged; a null value removes the key
	DND              *DND           `json:"dnd"`
	AssignedUserID   *string        `json:"assigned_user_id"`
	StripeCustomerID *string        `json:"stripe_customer_id"`
}

// DND is the contact's do-not-disturb flags per channel.
type DND struct {
	SMS   *bool `json:"sms"`
	Email *bool `json:"email"`
}

// apply validates the input and writes it onto c; faults are named by path.
func (in Input) apply(c *models.Contact, region string) validation.Errors {
	p := validation.NewProblems()
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	if in.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*in.Email))
		if e != "" {
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
				p.Add("email", "%q is not an email address", *in.Email)
			}
		}
		c.Email = e
	}
	if in.Phone != nil {
		ph, err := NormalizePhone(*in.Phone, region)
		if err != nil {
			p.Add("phone", "%s", err.Error())
		}
		c.Phone = ph
	}
	if in.Timezone != nil {
		tz := strings.TrimSpace(*in.Timezone)
		if tz != "" {
			if !calendar.Known(tz) {
				p.Add("timezone", "unknown timezone %q: use an IANA name such as Europe/Paris", tz)
			}
		}
		c.Timezone = tz
	}
	if in.DateOfBirth != nil {
		d := strings.TrimSpace(*in.DateOfBirth)
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				p.Add("date_of_birth", "must be a date as YYYY-MM-DD")
			}
		}
		c.DateOfBirth = d
	}
	if in.Tags != nil {
		for i, t := range *in.Tags {
			if strings.TrimSpace(t) == "" {
				p.Add(fmt.Sprintf("tags[%d]", i), "a tag cannot be empty")
			} else if len(t) > 255 {
				p.Add(fmt.Sprintf("tags[%d]", i), "a tag is at most 255 characters")
			}
		}
	}
	if in.Custom != nil {
		if c.Custom == nil {
			c.Custom = map[string]any{}
		}
		for k, v := range in.Custom {
			switch {
			case strings.TrimSpace(k) == "" || strings.ContainsAny(k, ". "):
				p.Add("custom."+k, "custom field keys are non-empty and have no dots or spaces")
			case v == nil:
				delete(c.Custom, k)
			default:
				c.Custom[k] = v
			}
		}
	}
	if in.DND != nil {
		if in.DND.SMS != nil {
			c.DNDSMS = *in.DND.SMS
		}
		if in.DND.Email != nil {
			c.DNDEmail = *in.DND.Email
		}
	}
	if in.AssignedUserID != nil {
		if *in.AssignedUserID == "" {
			c.AssignedUserID = nil
		} else {
			v := *in.AssignedUserID
			c.AssignedUserID = &v
		}
	}
	set(&c.StripeCustomerID, in.StripeCustomerID)
	for _, f := range []struct {
		path string
		v    string
		max  int
	}{{"first_name", c.FirstName, 255}, {"last_name", c.LastName, 255}, {"email", c.Email, 320}, {"stripe_customer_id", c.StripeCustomerID, 255}} {
		if len(f.v) > f.max {
			p.Add(f.path, "is at most %d characters", f.max)
		}
	}
	// A contact nobody can name or reach is a mistake, not a record: on
	// create and on every change.
	if c.FirstName == "" && c.LastName == "" && c.Email == "" && c.Phone == "" {
		p.Add("email", "a contact needs at least one of email, phone, first_name or last_name")
	}
	return p.Errors()
}

// NormalizePhone returns a phone number in E.164, reading numbers without a
// country code as numbers of region.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", fmt.Errorf("%q is not a phone number (use E.164, e.g. +14155550123)", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// changedFields lists the contact fields whose value differs, as
// contact_changed reports them ("email", "custom.plan").
func changedFields(before, after map[string]any) []string {
	var out []string
	for k, a := range after {
		if k == "custom" || k == "tags" || k == "name" || k == "full_name" {
			continue
		}
		if !reflect.DeepEqual(before[k], a) {
			out = append(out, k)
		}
	}
	bc, _ := before["custom"].(map[string]any)
	ac, _ := after["custom"].(map[string]any)
	for k, v := range ac {
		if !reflect.DeepEqual(bc[k], v) {
			out = append(out, "custom."+k)
		}
	}
	for k := range bc {
		if _, ok := ac[k]; !ok {
			out = append(out, "custom."+k)
		}
	}
	sort.Strings(out)
	return out
}
