package triggers

import (
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() {
	register(reminder{typ: "birthday_reminder"})
	register(reminder{typ: "custom_date_reminder"})
}

// DefaultReminderTime is when a reminder fires if its config names no time.
const DefaultReminderTime = "09:00"

// maxOffsetDays bounds offset_days: a year either way is the most a yearly
// date (a birthday) can usefully be ahead or behind.
const maxOffsetDays = 365

// ReminderConfig is a birthday_reminder's or custom_date_reminder's config.
type ReminderConfig struct {
	// Field is "custom.<key>" (or "contact.custom.<key>") for
	// custom_date_reminder; birthday_reminder reads date_of_birth.
	Field string `json:"field,omitempty"`
	// OffsetDays moves the reminder: negative is before the date, positive
	// after, 0 on the day.
	OffsetDays int `json:"offset_days"`
	// Time is the time of day, in the workflow's timezone, "HH:MM".
	Time string `json:"time,omitempty"`
}

// reminder fires on a date of the contact's: its birthday (every year) or a
// date held in a custom field (once), offset by some days, at a time of day.
type reminder struct{ typ string }

func (r reminder) Type() string   { return r.typ }
func (reminder) Events() []string { return nil }
func (reminder) Scheduled()       {}

// Birthday reports whether the type reads date_of_birth (yearly).
func (r reminder) Birthday() bool { return r.typ == "birthday_reminder" }

func (r reminder) Validate(p *validation.Problems, t *definition.Trigger) {
	var c ReminderConfig
	if !decodeScheduleConfig(p, t.Config, &c) {
		return
	}
	if r.Birthday() {
		switch c.Field {
		case "", "date_of_birth", "contact.date_of_birth":
		default:
			p.Add("config.field", "a birthday reminder reads the contact's date_of_birth; use custom_date_reminder for %q", c.Field)
		}
	} else {
		key, ok := CustomKey(c.Field)
		switch {
		case c.Field == "":
			p.Add("config.field", `is required: the custom field holding the date, as "custom.<key>"`)
		case !ok || key == "":
			p.Add("config.field", `%q is not a custom field: write "custom.<key>"`, c.Field)
		case len(key) > 64:
			p.Add("config.field", "the custom field key is longer than 64 characters")
		}
	}
	if c.OffsetDays < -maxOffsetDays || c.OffsetDays > maxOffsetDays {
		p.Add("config.offset_days", "must be between -%d and %d days", maxOffsetDays, maxOffsetDays)
	}
	if c.Time != "" {
		if _, err := ParseClock(c.Time); err != nil {
			p.Add("config.time", "%s", err.Error())
		}
	}
}

// CustomKey returns the key of "custom.<key>" or "contact.custom.<key>".
func CustomKey(field string) (string, bool) {
	field = strings.TrimPrefix(field, "contact.")
	key, ok := strings.CutPrefix(field, "custom.")
	return key, ok
}

// Reminder reads a validated reminder trigger's config, defaults applied.
func Reminder(t *definition.Trigger) (ReminderConfig, Clock, error) {
	var c ReminderConfig
	if err := decode(t, &c); err != nil {
		return c, Clock{}, err
	}
	if c.Time == "" {
		c.Time = DefaultReminderTime
	}
	clock, err := ParseClock(c.Time)
	return c, clock, err
}
