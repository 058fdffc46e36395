package triggers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func date(s string) Date {
	d, ok := ParseDate(s)
	if !ok {
		panic(s)
	}
	return d
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBirthdaysFeb29FallOnFeb28InOtherYears(t *testing.T) {
	leapling := date("2000-02-29")
	for _, c := range []struct {
		day  string
		want bool
	}{
		{"2027-02-28", true}, {"2027-03-01", false}, {"2028-02-28", false}, {"2028-02-29", true},
		{"2100-02-28", true},  // 2100 is no leap year
		{"2000-02-29", false}, // the day of birth is no birthday
	} {
		if got := BirthdayOn(leapling, date(c.day)); got != c.want {
			t.Errorf("born 2000-02-29, birthday on %s = %v, want %v", c.day, got, c.want)
		}
	}
	if got := BirthdayMonthDays(date("2027-02-28")); strings.Join(got, ",") != "02-28,02-29" {
		t.Errorf("month-days of 2027-02-28 = %v", got)
	}
	if got := BirthdayMonthDays(date("2028-02-28")); strings.Join(got, ",") != "02-28" {
		t.Errorf("month-days of 2028-02-28 = %v", got)
	}
	if !BirthdayOn(date("1990-12-03"), date("2026-12-03")) || BirthdayOn(date("1990-12-03"), date("2026-12-04")) {
		t.Error("ordinary birthday")
	}
}

func TestOffsetsCrossMonthsAndYears(t *testing.T) {
	for _, c := range []struct {
		day    string
		offset int
		want   string
	}{
		{"2026-11-26", -7, "2026-12-03"}, // a week before
		{"2026-12-03", 0, "2026-12-03"},
		{"2026-12-06", 3, "2026-12-03"}, // three days after
		{"2026-12-30", -5, "2027-01-04"},
		{"2027-01-02", 3, "2026-12-30"},
		{"2028-02-28", -1, "2028-02-29"},
	} {
		if got := Occasion(date(c.day), c.offset).String(); got != c.want {
			t.Errorf("reminder on %s with offset %d is about %s, want %s", c.day, c.offset, got, c.want)
		}
	}
}

func TestReminderDueInTheZonesLocalDay(t *testing.T) {
	nine := Clock{9, 0}
	ny, tokyo := zone(t, "America/New_York"), zone(t, "Asia/Tokyo")
	at := time.Date(2026, 12, 3, 13, 30, 0, 0, time.UTC) // 08:30 in New York, 22:30 in Tokyo
	if _, due := ReminderDue(at, ny, nine); due {
		t.Error("08:30 in New York: not yet 09:00")
	}
	if d, due := ReminderDue(at.Add(30*time.Minute), ny, nine); !due || d.String() != "2026-12-03" {
		t.Errorf("09:00 in New York: %v %v", d, due)
	}
	if d, due := ReminderDue(at, tokyo, nine); !due || d.String() != "2026-12-03" {
		t.Errorf("22:30 in Tokyo: %v %v", d, due)
	}
	// 15:30 UTC is 00:30 the next day in Tokyo: the next day's reminder is not due yet.
	if d, due := ReminderDue(at.Add(2*time.Hour), tokyo, nine); due || d.String() != "2026-12-04" {
		t.Errorf("00:30 in Tokyo: %v %v", d, due)
	}
}

func TestReminderDueAcrossDaylightSaving(t *testing.T) {
	ny := zone(t, "America/New_York")
	// 2026-03-08: clocks go from 02:00 to 03:00 in New York; 02:30 never happens.
	halfPastTwo := Clock{2, 30}
	threeAM := time.Date(2026, 3, 8, 3, 0, 0, 0, ny)
	if d, due := ReminderDue(threeAM, ny, halfPastTwo); !due || d.String() != "2026-03-08" {
		t.Errorf("03:00 on the day without 02:30: %v %v", d, due)
	}
	// 2026-11-01: 01:30 happens twice; both are past 01:30, and the date is the same.
	first := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC) // 01:30 EDT
	second := first.Add(time.Hour)                         // 01:30 EST
	for _, at := range []time.Time{first, second} {
		if d, due := ReminderDue(at, ny, Clock{1, 30}); !due || d.String() != "2026-11-01" {
			t.Errorf("%v: %v %v", at, d, due)
		}
	}
	// 09:00 local is 14:00 UTC in winter and 13:00 UTC in summer.
	if _, due := ReminderDue(time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC), ny, Clock{9, 0}); !due {
		t.Error("13:00 UTC in July is 09:00 in New York")
	}
	if _, due := ReminderDue(time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), ny, Clock{9, 0}); due {
		t.Error("13:00 UTC in January is 08:00 in New York")
	}
}

func TestZoneResolution(t *testing.T) {
	if l, per := Zone("contact", "Europe/Paris", "Asia/Tokyo"); l.String() != "Asia/Tokyo" || !per {
		t.Errorf("contact zone: %v %v", l, per)
	}
	if l, _ := Zone("contact", "Europe/Paris", ""); l.String() != "Europe/Paris" {
		t.Errorf("contact without a zone falls back to the account's: %v", l)
	}
	if l, _ := Zone("contact", "Europe/Paris", "Mars/Base"); l.String() != "Europe/Paris" {
		t.Errorf("unknown contact zone falls back: %v", l)
	}
	if l, per := Zone("account", "Europe/Paris", "Asia/Tokyo"); l.String() != "Europe/Paris" || per {
		t.Errorf("account zone: %v %v", l, per)
	}
	if l, _ := Zone("America/Chicago", "Europe/Paris", "Asia/Tokyo"); l.String() != "America/Chicago" {
		t.Errorf("fixed zone: %v", l)
	}
}

func TestCustomDateValues(t *testing.T) {
	ny := zone(t, "America/New_York")
	if d, ok := DateValue("2026-12-03", ny); !ok || d.String() != "2026-12-03" {
		t.Error("plain date")
	}
	if d, ok := DateValue("2026-12-04T02:00:00Z", ny); !ok || d.String() != "2026-12-03" {
		t.Errorf("a time is read in the zone: %v", d)
	}
	for _, v := range []any{"soon", 42, nil, "2026-13-01"} {
		if _, ok := DateValue(v, ny); ok {
			t.Errorf("%v read as a date", v)
		}
	}
}

func TestMonthlyPastTheMonthsEndRunsOnItsLastDay(t *testing.T) {
	c := SchedulerConfig{Frequency: Monthly, DayOfMonth: 31}
	for day, want := range map[string]bool{"2026-01-31": true, "2026-01-30": false, "2026-04-30": true, "2026-04-29": false,
		"2027-02-28": true, "2028-02-28": false, "2028-02-29": true} {
		if got := c.RunsOn(date(day)); got != want {
			t.Errorf("day_of_month 31 on %s = %v, want %v", day, got, want)
		}
	}
	if !(SchedulerConfig{Frequency: Monthly, DayOfMonth: 15}).RunsOn(date("2026-01-15")) {
		t.Error("day 15")
	}
}

func validate(t *testing.T, typ, config string) map[string]string {
	t.Helper()
	k, ok := Lookup(typ)
	if !ok {
		t.Fatalf("%s is not registered", typ)
	}
	p := validation.NewProblems()
	k.Validate(p.At("triggers[0]"), &definition.Trigger{ID: "t1", Type: typ, Config: json.RawMessage(config)})
	out := map[string]string{}
	for _, e := range p.Errors() {
		out[e.Path] = e.Message
	}
	return out
}

func TestScheduledTriggerConfigIsValidatedWithPaths(t *testing.T) {
	for _, c := range []struct {
		typ, config string
		paths       []string
	}{
		{"birthday_reminder", `{"offset_days": -3, "time": "08:30"}`, nil},
		{"birthday_reminder", ``, nil},
		{"birthday_reminder", `{"offset_days": 400, "time": "25:00", "when": 1}`, []string{"triggers[0].config.when"}},
		{"birthday_reminder", `{"offset_days": 400, "time": "9am"}`, []string{"triggers[0].config.offset_days", "triggers[0].config.time"}},
		{"birthday_reminder", `{"offset_days": "3"}`, []string{"triggers[0].config.offset_days"}},
		{"birthday_reminder", `{"field": "custom.renewal"}`, []string{"triggers[0].config.field"}},
		{"custom_date_reminder", `{"field": "custom.renewal", "offset_days": 2}`, nil},
		{"custom_date_reminder", `{"field": "contact.custom.renewal"}`, nil},
		{"custom_date_reminder", `{}`, []string{"triggers[0].config.field"}},
		{"custom_date_reminder", `{"field": "email"}`, []string{"triggers[0].config.field"}},
		{"scheduler", `{"frequency": "daily", "time": "09:00"}`, nil},
		{"scheduler", `{"frequency": "weekly", "time": "09:00", "days": ["mon", "fri"]}`, nil},
		{"scheduler", `{"frequency": "monthly", "time": "09:00", "day_of_month": 31}`, nil},
		{"scheduler", `{"frequency": "once", "at": "2030-01-01T09:00:00+01:00"}`, nil},
		{"scheduler", `{}`, []string{"triggers[0].config.frequency"}},
		{"scheduler", `{"frequency": "hourly"}`, []string{"triggers[0].config.frequency"}},
		{"scheduler", `{"frequency": "daily"}`, []string{"triggers[0].config.time"}},
		{"scheduler", `{"frequency": "weekly", "time": "09:00", "days": ["mon", "funday", "mon"]}`,
			[]string{"triggers[0].config.days[1]", "triggers[0].config.days[2]"}},
		{"scheduler", `{"frequency": "weekly", "time": "09:00"}`, []string{"triggers[0].config.days"}},
		{"scheduler", `{"frequency": "monthly", "time": "09:00", "day_of_month": 32}`, []string{"triggers[0].config.day_of_month"}},
		{"scheduler", `{"frequency": "daily", "time": "09:00", "day_of_month": 3, "at": "2030-01-01T09:00:00Z"}`,
			[]string{"triggers[0].config.day_of_month", "triggers[0].config.at"}},
		{"scheduler", `{"frequency": "once", "at": "tomorrow", "time": "09:00"}`, []string{"triggers[0].config.at", "triggers[0].config.time"}},
	} {
		got := validate(t, c.typ, c.config)
		if len(got) != len(c.paths) {
			t.Errorf("%s %s: faults %v, want at %v", c.typ, c.config, got, c.paths)
			continue
		}
		for _, p := range c.paths {
			if got[p] == "" {
				t.Errorf("%s %s: no fault at %s (got %v)", c.typ, c.config, p, got)
			}
		}
	}
}
