package triggers

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(scheduler{}) }

// Scheduler frequencies.
const (
	Daily   = "daily"
	Weekly  = "weekly"
	Monthly = "monthly"
	Once    = "once"
)

// SchedulerConfig is a scheduler trigger's config. Times are in the
// workflow's timezone ("contact" means the account's: no contact is involved).
type SchedulerConfig struct {
	Frequency  string   `json:"frequency"`
	Time       string   `json:"time,omitempty"`         // daily, weekly, monthly: "HH:MM"
	Days       []string `json:"days,omitempty"`         // weekly: mon, tue, ...
	DayOfMonth int      `json:"day_of_month,omitempty"` // monthly: 1-31; shorter months run on their last day
	At         string   `json:"at,omitempty"`           // once: an RFC 3339 time
}

// Weekdays maps the day names of configs to Go's weekdays.
var Weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// scheduler runs the workflow's steps on a timetable, with no contact: the
// run is an enrollment without a contact, and steps that need one are
// skipped with that reason (see steps.ContactFree).
type scheduler struct{}

func (scheduler) Type() string     { return "scheduler" }
func (scheduler) Events() []string { return nil }
func (scheduler) Scheduled()       {}

func (scheduler) Validate(p *validation.Problems, t *definition.Trigger) {
	var c SchedulerConfig
	if !decodeScheduleConfig(p, t.Config, &c) {
		return
	}
	only := func(field string, set bool, freq string) {
		if set && c.Frequency != freq {
			p.Add("config."+field, "applies only to frequency %q", freq)
		}
	}
	switch c.Frequency {
	case Daily, Weekly, Monthly:
		if c.Time == "" {
			p.Add("config.time", "is required: the time of day as HH:MM")
		} else if _, err := ParseClock(c.Time); err != nil {
			p.Add("config.time", "%s", err.Error())
		}
	case Once:
		if c.Time != "" {
			p.Add("config.time", `does not apply to frequency "once": "at" holds the date and time`)
		}
		if c.At == "" {
			p.Add("config.at", "is required: the date and time to run, as RFC 3339 (e.g. 2026-12-03T09:00:00Z)")
		} else if _, err := time.Parse(time.RFC3339, c.At); err != nil {
			p.Add("config.at", "%q is not an RFC 3339 date and time (e.g. 2026-12-03T09:00:00Z)", c.At)
		}
	case "":
		p.Add("config.frequency", "is required (daily, weekly, monthly or once)")
		return
	default:
		p.Add("config.frequency", "unknown frequency %q (daily, weekly, monthly or once)", c.Frequency)
		return
	}
	only("days", c.Days != nil, Weekly)
	only("day_of_month", c.DayOfMonth != 0, Monthly)
	only("at", c.At != "", Once)
	if c.Frequency == Weekly {
		if len(c.Days) == 0 {
			p.Add("config.days", "is required: at least one of mon, tue, wed, thu, fri, sat, sun")
		}
		seen := map[string]bool{}
		for i, d := range c.Days {
			path := fmt.Sprintf("config.days[%d]", i)
			switch name := strings.ToLower(d); {
			case Weekdays[name] == 0 && name != "sun":
				p.Add(path, "unknown day %q (mon, tue, wed, thu, fri, sat, sun)", d)
			case seen[name]:
				p.Add(path, "day %q is listed twice", d)
			default:
				seen[name] = true
			}
		}
	}
	if c.Frequency == Monthly && (c.DayOfMonth < 1 || c.DayOfMonth > 31) {
		p.Add("config.day_of_month", "must be a day of the month from 1 to 31")
	}
}

// Scheduler reads a validated scheduler trigger's config; the clock is
// zero for "once".
func Scheduler(t *definition.Trigger) (SchedulerConfig, Clock, error) {
	var c SchedulerConfig
	if err := decode(t, &c); err != nil {
		return c, Clock{}, err
	}
	if c.Frequency == Once {
		return c, Clock{}, nil
	}
	clock, err := ParseClock(c.Time)
	return c, clock, err
}

// RunsOn reports whether the trigger runs on a local date. The schedule's
// calendar picks the days; this settles what a calendar cannot express: a
// monthly day_of_month past a month's end runs on that month's last day, so
// such schedules fire on the candidate days (28th to 31st) and all but the
// right one do nothing.
func (c SchedulerConfig) RunsOn(d Date) bool {
	if c.Frequency == Monthly && c.DayOfMonth > 28 {
		return d.Day == min(c.DayOfMonth, DaysIn(d.Year, d.Month))
	}
	return true
}

// DaysIn is the number of days of a month.
func DaysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 12, 0, 0, 0, time.UTC).Day()
}
