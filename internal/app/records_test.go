package app

import (
	"strings"
	"testing"
	"time"
)

// TestAppointmentsEnrollOncePerAppointment runs on the embedded Temporal
// server: booking an appointment enrolls the contact into a published
// workflow triggered by appointment_booked on that calendar; a second
// booking enrolls again (each appointment is its own entry) and a booking on
// another calendar does not. Status changes enroll into an
// appointment_status_changed workflow once per appointment, however often
// the status changes.
func TestAppointmentsEnrollOncePerAppointment(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()

	var contact struct{ ID string }
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	publish := func(name, trigger string, filters any) string {
		t.Helper()
		var wf struct{ ID string }
		trig := map[string]any{"id": "t1", "type": trigger}
		if filters != nil {
			trig["filters"] = filters
		}
		if code := call(t, d, "POST", "/v1/workflows", map[string]any{"name": name, "triggers": []any{trig}, "start": "s1",
			"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []string{name}}}},
		}, &wf); code != 201 {
			t.Fatalf("creating workflow %s: %d", name, code)
		}
		if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
			t.Fatalf("publishing %s: %d", name, code)
		}
		return wf.ID
	}
	booked := publish("booked", "appointment_booked",
		map[string]any{"all": []any{map[string]any{"field": "event.calendar_id", "op": "is", "value": "cal-1"}}})
	changed := publish("status-changed", "appointment_status_changed", nil)

	book := func(calendar string) string {
		t.Helper()
		var a struct{ ID string }
		if code := call(t, d, "POST", "/v1/appointments", map[string]any{"contact_id": contact.ID, "calendar_id": calendar,
			"start_time": "2026-12-03T15:00:00Z", "end_time": "2026-12-03T15:30:00Z"}, &a); code != 201 {
			t.Fatalf("booking: %d", code)
		}
		return a.ID
	}
	setStatus := func(id, status string) {
		t.Helper()
		if code := call(t, d, "PATCH", "/v1/appointments/"+id, map[string]any{"status": status}, nil); code != 200 {
			t.Fatalf("PATCH appointment: %d", code)
		}
	}
	// enrollments waits until the workflow has want enrollments of the
	// contact and all have completed; then it checks no more arrive.
	enrollments := func(workflowID string, want int) {
		t.Helper()
		var list struct {
			Items []enrollmentView `json:"items"`
		}
		deadline := time.Now().Add(time.Minute)
		for {
			call(t, d, "GET", "/v1/workflows/"+workflowID+"/enrollments?contact_id="+contact.ID, nil, &list)
			if len(list.Items) >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(list.Items) != want {
			t.Fatalf("workflow %s: %d enrollments, want %d", workflowID, len(list.Items), want)
		}
		for _, e := range list.Items {
			waitFor(t, d, e.ID, "completed")
		}
	}

	first := book("cal-1")
	enrollments(booked, 1)
	second := book("cal-1")
	book("cal-2") // another calendar: filtered out
	enrollments(booked, 2)

	setStatus(first, "confirmed")
	enrollments(changed, 1)
	setStatus(first, "cancelled") // the same appointment again: no new entry
	setStatus(first, "confirmed")
	setStatus(second, "showed") // another appointment: a new entry
	enrollments(changed, 2)

	// Everything was routed; nothing else enrolled late.
	time.Sleep(500 * time.Millisecond)
	enrollments(booked, 2)
	enrollments(changed, 2)
	var events struct {
		Items []struct {
			Type        string `json:"type"`
			Enrollments []any  `json:"enrollments"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/events?contact_id="+contact.ID+"&limit=200", nil, &events)
	counts, started := map[string]int{}, map[string]int{}
	for _, ev := range events.Items {
		counts[ev.Type]++
		started[ev.Type] += len(ev.Enrollments)
	}
	if counts["appointment_booked"] != 3 || counts["appointment_status_changed"] != 4 {
		t.Errorf("events by type = %v", counts)
	}
	if started["appointment_booked"] != 2 || started["appointment_status_changed"] != 2 {
		t.Errorf("enrollments started by type = %v", started)
	}
}

// TestDeletedAppointmentTakesOnCancel: the reminder of an appointment wait
// (triggered by the booking) is not sent once the appointment is deleted:
// DELETE raises appointment_deleted, which reaches the waiting run, and the
// wait takes on_cancel at once.
func TestDeletedAppointmentTakesOnCancel(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf, appt struct{ ID string }
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	if code := call(t, d, "POST", "/v1/workflows", map[string]any{"name": "reminder",
		"triggers": []any{map[string]any{"id": "t1", "type": "appointment_booked"}}, "start": "w1", "steps": []any{
			map[string]any{"id": "w1", "type": "wait", "config": map[string]any{"mode": "appointment", "offset": "-1m", "on_cancel": "x1"}, "next": "s1"},
			map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "See you soon"}},
			map[string]any{"id": "x1", "type": "add_tag", "config": map[string]any{"tags": []string{"cancelled"}}},
		}}, &wf); code != 201 {
		t.Fatalf("creating the workflow: %d", code)
	}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publishing: %d", code)
	}
	start := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	if code := call(t, d, "POST", "/v1/appointments", map[string]any{"contact_id": contact.ID, "calendar_id": "cal",
		"start_time": start.Format(time.RFC3339), "end_time": start.Add(30 * time.Minute).Format(time.RFC3339)}, &appt); code != 201 {
		t.Fatalf("booking: %d", code)
	}
	var list struct {
		Items []enrollmentView `json:"items"`
	}
	deadline := time.Now().Add(time.Minute)
	for len(list.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		call(t, d, "GET", "/v1/workflows/"+wf.ID+"/enrollments?contact_id="+contact.ID, nil, &list)
	}
	if len(list.Items) != 1 {
		t.Fatalf("the booking enrolled %d times", len(list.Items))
	}
	id := list.Items[0].ID
	waitAt(t, d, id, "w1")
	if code := call(t, d, "DELETE", "/v1/appointments/"+appt.ID, nil, nil); code != 204 {
		t.Fatalf("deleting the appointment: %d", code)
	}
	e := waitFor(t, d, id, "completed")
	var ran []string
	for _, s := range e.Steps {
		ran = append(ran, s.StepID+":"+s.Status)
	}
	if got := strings.Join(ran, ","); got != "w1:completed,x1:completed" {
		t.Errorf("steps = %s, want the wait to take on_cancel", got)
	}
}
