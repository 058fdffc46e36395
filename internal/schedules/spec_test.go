package schedules

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
)

func trig(typ, config string) *definition.Trigger {
	return &definition.Trigger{ID: "t1", Type: typ, Config: json.RawMessage(config)}
}

func TestReminderSpecs(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	sp, err := spec(trig("birthday_reminder", `{"time": "09:10"}`), paris, false)
	if err != nil {
		t.Fatal(err)
	}
	if sp.TimeZoneName != "Europe/Paris" || len(sp.Calendars) != 1 || sp.Calendars[0].Hour[0].Start != 9 || sp.Calendars[0].Minute[0].Start != 10 {
		t.Errorf("fixed zone spec = %+v", sp)
	}
	// A time a daylight-saving shift may skip gets a second, later check.
	sp, _ = spec(trig("birthday_reminder", `{"time": "02:30"}`), paris, false)
	if len(sp.Calendars) != 2 || sp.Calendars[1].Hour[0].Start != safetyNetHour {
		t.Errorf("02:30 in Paris = %+v", sp.Calendars)
	}
	sp, _ = spec(trig("birthday_reminder", `{"time": "02:30"}`), time.UTC, false)
	if len(sp.Calendars) != 1 {
		t.Errorf("02:30 UTC needs no safety net: %+v", sp.Calendars)
	}
	// Per-contact zones: every 15 minutes, phased on the reminder's minute.
	sp, _ = spec(trig("custom_date_reminder", `{"field": "custom.renewal", "time": "09:40"}`), paris, true)
	if len(sp.Intervals) != 1 || sp.Intervals[0].Every != 15*time.Minute || sp.Intervals[0].Offset != 10*time.Minute {
		t.Errorf("per-contact spec = %+v", sp)
	}
	// Default time is 09:00.
	sp, _ = spec(trig("birthday_reminder", ``), time.UTC, false)
	if sp.Calendars[0].Hour[0].Start != 9 || sp.Calendars[0].Minute[0].Start != 0 {
		t.Errorf("default spec = %+v", sp)
	}
}

func TestSchedulerSpecs(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	sp, _ := spec(trig("scheduler", `{"frequency": "weekly", "time": "18:00", "days": ["mon", "sun"]}`), ny, false)
	c := sp.Calendars[0]
	if len(sp.Calendars) != 1 || len(c.DayOfWeek) != 2 || c.DayOfWeek[0].Start != 1 || c.DayOfWeek[1].Start != 0 || c.Hour[0].Start != 18 {
		t.Errorf("weekly = %+v", sp)
	}
	sp, _ = spec(trig("scheduler", `{"frequency": "monthly", "time": "08:00", "day_of_month": 31}`), ny, false)
	if r := sp.Calendars[0].DayOfMonth[0]; r.Start != 28 || r.End != 31 {
		t.Errorf("monthly 31 = %+v", sp.Calendars[0])
	}
	sp, _ = spec(trig("scheduler", `{"frequency": "monthly", "time": "08:00", "day_of_month": 5}`), ny, false)
	if r := sp.Calendars[0].DayOfMonth[0]; r.Start != 5 || r.End != 0 {
		t.Errorf("monthly 5 = %+v", sp.Calendars[0])
	}
	sp, _ = spec(trig("scheduler", `{"frequency": "once", "at": "2030-01-02T09:15:30+01:00"}`), ny, false)
	c = sp.Calendars[0]
	if sp.TimeZoneName != "UTC" || c.Year[0].Start != 2030 || c.Month[0].Start != 1 || c.DayOfMonth[0].Start != 2 ||
		c.Hour[0].Start != 8 || c.Minute[0].Start != 15 || c.Second[0].Start != 30 {
		t.Errorf("once = %+v", sp)
	}
}
