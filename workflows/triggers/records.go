package triggers

func init() {
	for _, typ := range []string{"note_added", "task_added", "task_completed"} {
		register(recordEvent{typ: typ})
	}
	// Appointment and opportunity triggers enroll a contact once per
	// appointment or opportunity: a second booking is a new reason to run
	// the workflow, a second status change of the same booking is not.
	// Calendars, statuses, pipelines and stages are selected with filters
	// (event.calendar_id is "...", event.stage_id is "..."), not config: a
	// pure validator cannot know which pipelines exist.
	for _, typ := range []string{"appointment_booked", "appointment_status_changed"} {
		register(objectEvent{recordEvent: recordEvent{typ: typ}, object: "appointment"})
	}
	for _, typ := range []string{"opportunity_created", "opportunity_status_changed", "pipeline_stage_changed"} {
		register(objectEvent{recordEvent: recordEvent{typ: typ}, object: "opportunity"})
	}
}

// objectEvent is a record event about one object (an appointment, an
// opportunity) whose data carries "<object>_id"; it is Scoped by that id.
type objectEvent struct {
	recordEvent
	object string
}

// EntryScope is "<object>:<id>", or "" (once per contact) for an event
// without the id, e.g. one posted to POST /v1/events by hand.
func (o objectEvent) EntryScope(data map[string]any) string {
	id, _ := data[o.object+"_id"].(string)
	if id == "" {
		return ""
	}
	return o.object + ":" + id
}
