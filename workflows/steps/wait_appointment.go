package steps

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { waitModes["appointment"] = appointmentMode{} }

// appointmentMode waits until an offset before ("-1d") or after ("2h") the
// start of the triggering appointment. A reschedule moves the timer; a
// cancellation or a deletion takes on_cancel (or exits when there is none).
// When the timer fires it reads the appointment once more (Rechecker): a
// change that raised no event (or whose event was lost) still counts.
type appointmentMode struct{}

// defaultAppointment is the appointment of the event that enrolled the contact.
const defaultAppointment = "{{event.appointment_id}}"

// appointmentEvents are the events that may move or cancel the appointment;
// deletedEvents adds its deletion (runs that recheck at the deadline only:
// older runs did not wake on it).
var (
	appointmentEvents = []EventMatcher{{Type: "appointment_status_changed"}, {Type: "appointment_rescheduled"}}
	deletedEvents     = append(slices.Clip(appointmentEvents), EventMatcher{Type: appointmentDeleted})
)

// appointmentDeleted is the event DELETE /v1/appointments/{id} raises: it
// reaches the contact's runs (a waiting appointment wait takes on_cancel),
// and is no trigger.
const appointmentDeleted = "appointment_deleted"

func (appointmentMode) fields() []string { return []string{"appointment_id", "offset", "on_cancel"} }

func (appointmentMode) validate(p *validation.Problems, c *waitConfig) {
	if c.Offset != "" {
		if _, err := signedDuration(c.Offset); err != nil {
			p.Add("config.offset", "%s (a minus sign means before the start: \"-1d\")", err.Error())
		}
	}
	if c.AppointmentID != "" {
		checkTemplate(p, "config.appointment_id", c.AppointmentID)
	}
}

func (appointmentMode) targets(c *waitConfig) []Target {
	if c.OnCancel == "" {
		return nil
	}
	return []Target{{Path: "config.on_cancel", StepID: c.OnCancel}}
}

func (appointmentMode) run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error) {
	offset, err := signedDuration(c.Offset)
	if err != nil {
		return Outcome{}, fail("config.offset: %v", err)
	}
	id := c.AppointmentID
	if id == "" {
		id = defaultAppointment
	}
	recheck := recheckAtDeadline(rt)
	events := appointmentEvents
	if recheck {
		events = deletedEvents
	}
	fired := false // the timer fired: the time came, unless the appointment moved
	for {
		res, err := rt.Resolve(ctx, s, ResolveRequest{AppointmentID: id})
		if err != nil {
			return Outcome{}, err
		}
		a := res.Appointment
		if a == nil || !a.Found || a.Status == models.AppointmentCancelled {
			return cancelled(s, c, a), nil
		}
		at := a.StartTime.Add(offset)
		out := map[string]any{"appointment_id": a.ID, "start_time": a.StartTime.UTC().Format(time.RFC3339), "until": at.UTC().Format(time.RFC3339)}
		if !at.After(workflow.Now(ctx)) {
			if !fired {
				out["passed"] = true
			}
			return Outcome{Next: s.Next, Output: out}, nil
		}
		w, err := rt.Wait(ctx, s, WaitSpec{Until: at, Events: events, Reason: "until " + describeOffset(c.Offset) + " the appointment"})
		if err != nil {
			return Outcome{}, err
		}
		if w.TimedOut && !recheck {
			return Outcome{Next: s.Next, Output: out}, nil
		}
		// The time came, or a change to some appointment: read ours again
		// (its new time, its cancellation, or that it is gone).
		fired = w.TimedOut
	}
}

func cancelled(s *definition.Step, c *waitConfig, a *Appointment) Outcome {
	out := map[string]any{"cancelled": true}
	reason := "the appointment was cancelled"
	switch {
	case (a == nil || a.ID == "") && c.AppointmentID != "":
		reason = "there is no appointment to wait for (config.appointment_id rendered empty)"
	case a == nil || a.ID == "":
		reason = "there is no appointment to wait for (the enrollment's event has no appointment_id)"
	case !a.Found && a.OtherContacts:
		reason = "the appointment is another contact's, not this contact's"
		out["appointment_id"] = a.ID
	case !a.Found:
		reason = "the appointment no longer exists"
		out["appointment_id"] = a.ID
	default:
		out["appointment_id"] = a.ID
	}
	out["reason"] = reason
	if c.OnCancel != "" {
		return Outcome{Next: c.OnCancel, Output: out}
	}
	return Outcome{Exit: true, Reason: reason + " (step " + s.ID + ")", Output: out}
}

// signedDuration reads an offset: "" is zero, a leading minus means before.
func signedDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	d, err := durations.Parse(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+"))
	if neg {
		d = -d
	}
	return d, err
}

func describeOffset(offset string) string {
	switch {
	case offset == "" || offset == "0s":
		return "the start of"
	case strings.HasPrefix(offset, "-"):
		return strings.TrimPrefix(offset, "-") + " before"
	}
	return strings.TrimPrefix(offset, "+") + " after"
}
