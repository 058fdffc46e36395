package schedules

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// perContactEvery is how often a reminder whose workflow runs in each
// contact's own timezone checks for contacts whose local time has come.
// Every zone in use is offset from UTC by a multiple of 15 minutes, so with
// the interval's phase set to the reminder's minute, one check lands on the
// reminder's exact local time in every zone.
const perContactEvery = 15 * time.Minute

// safetyNetHour is the local hour of a second daily check for times before
// it in zones with daylight saving: Temporal fires a calendar on literal
// clock times, so a 02:30 schedule does not fire on the day that has no
// 02:30. The runs are idempotent per occasion, so the second check enrolls
// only what the first could not. All daylight-saving shifts happen before 05:00.
const safetyNetHour = 5

// spec is when a scheduled trigger's schedule fires. zone is the workflow's
// resolved timezone (the account's for "account" and, for a scheduler,
// "contact"); perContact is settings.timezone "contact" for a reminder.
func spec(t *definition.Trigger, zone *time.Location, perContact bool) (client.ScheduleSpec, error) {
	if t.Type == "scheduler" {
		return schedulerSpec(t, zone)
	}
	_, clock, err := triggers.Reminder(t)
	if err != nil {
		return client.ScheduleSpec{}, err
	}
	if perContact {
		return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{
			Every: perContactEvery, Offset: time.Duration(clock.Minute%15) * time.Minute,
		}}}, nil
	}
	cal := client.ScheduleCalendarSpec{Hour: at(clock.Hour), Minute: at(clock.Minute),
		Comment: fmt.Sprintf("%s at %s %s", t.Type, clock, zone)}
	return client.ScheduleSpec{Calendars: withSafetyNet(cal, clock, zone), TimeZoneName: zone.String()}, nil
}

func schedulerSpec(t *definition.Trigger, zone *time.Location) (client.ScheduleSpec, error) {
	cfg, clock, err := triggers.Scheduler(t)
	if err != nil {
		return client.ScheduleSpec{}, err
	}
	cal := client.ScheduleCalendarSpec{Hour: at(clock.Hour), Minute: at(clock.Minute)}
	switch cfg.Frequency {
	case triggers.Once:
		when, err := time.Parse(time.RFC3339, cfg.At)
		if err != nil {
			return client.ScheduleSpec{}, fmt.Errorf("reading config.at of trigger %s: %w", t.ID, err)
		}
		when = when.UTC()
		cal = client.ScheduleCalendarSpec{Year: at(when.Year()), Month: at(int(when.Month())), DayOfMonth: at(when.Day()),
			Hour: at(when.Hour()), Minute: at(when.Minute()), Second: at(when.Second()),
			Comment: "once at " + when.Format(time.RFC3339)}
		return client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{cal}, TimeZoneName: "UTC"}, nil
	case triggers.Daily:
		cal.Comment = fmt.Sprintf("daily at %s %s", clock, zone)
	case triggers.Weekly:
		for _, d := range cfg.Days {
			cal.DayOfWeek = append(cal.DayOfWeek, client.ScheduleRange{Start: int(triggers.Weekdays[strings.ToLower(d)])})
		}
		cal.Comment = fmt.Sprintf("weekly on %s at %s %s", strings.Join(cfg.Days, ","), clock, zone)
	case triggers.Monthly:
		cal.DayOfMonth = at(cfg.DayOfMonth)
		if cfg.DayOfMonth > 28 {
			// Shorter months run on their last day: fire on every candidate
			// day and let the run keep the right one (SchedulerConfig.RunsOn).
			cal.DayOfMonth = []client.ScheduleRange{{Start: 28, End: 31}}
		}
		cal.Comment = fmt.Sprintf("monthly on day %d at %s %s", cfg.DayOfMonth, clock, zone)
	}
	return client.ScheduleSpec{Calendars: withSafetyNet(cal, clock, zone), TimeZoneName: zone.String()}, nil
}

// withSafetyNet adds the safetyNetHour check to a calendar whose time a
// daylight-saving shift of zone may skip.
func withSafetyNet(cal client.ScheduleCalendarSpec, clock triggers.Clock, zone *time.Location) []client.ScheduleCalendarSpec {
	out := []client.ScheduleCalendarSpec{cal}
	if clock.Hour < safetyNetHour && hasDST(zone) {
		net := cal
		net.Hour, net.Minute = at(safetyNetHour), at(0)
		net.Comment = "daylight-saving safety net of " + cal.Comment
		out = append(out, net)
	}
	return out
}

// hasDST reports whether the zone's offset changes in the year (now or
// the next, in case a shift was just abolished or introduced).
func hasDST(zone *time.Location) bool {
	year := time.Now().Year()
	for _, y := range []int{year, year + 1} {
		_, jan := time.Date(y, 1, 1, 12, 0, 0, 0, zone).Zone()
		_, jul := time.Date(y, 7, 1, 12, 0, 0, 0, zone).Zone()
		if jan != jul {
			return true
		}
	}
	return false
}

func at(v int) []client.ScheduleRange { return []client.ScheduleRange{{Start: v}} }
