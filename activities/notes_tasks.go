package activities

import (
	"context"
	"time"

	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/workflows/steps"
)

var _ steps.RecordsEnv = (*Activities)(nil)

// AddNote writes a note on the enrolled contact through the records
// service (note_added fires). Its id comes from the idempotency key, so a
// retry returns the note its first attempt wrote.
func (a *Activities) AddNote(ctx context.Context, call *steps.Call, body string) (string, error) {
	id := recordID(call, "note")
	if _, err := a.opts.Records.GetNote(ctx, call.AccountID, id); err == nil {
		return id, nil
	} else if !records.IsNotFound(err) {
		return "", err
	}
	_, err := a.opts.Records.AddNoteWithID(ctx, call.AccountID, call.ContactID, id, records.NoteInput{Body: &body})
	if duplicate(err) {
		return id, nil
	}
	if err != nil {
		return "", recordError(err, map[string]string{"body": "config.body"})
	}
	return id, nil
}

// AddTask gives the enrolled contact a task through the records service
// (task_added fires), due DueIn after the first attempt; like AddNote, a
// retry returns the task its first attempt made.
func (a *Activities) AddTask(ctx context.Context, call *steps.Call, t steps.NewTask) (steps.Task, error) {
	id := recordID(call, "task")
	if existing, err := a.opts.Records.GetTask(ctx, call.AccountID, id); err == nil {
		return steps.Task{ID: existing.ID, DueAt: existing.DueAt}, nil
	} else if !records.IsNotFound(err) {
		return steps.Task{}, err
	}
	in := records.TaskInput{Title: &t.Title, Body: &t.Body}
	if t.AssigneeID != "" {
		in.AssigneeID = &t.AssigneeID
	}
	if t.DueIn > 0 {
		due := call.Time().UTC().Add(t.DueIn).Truncate(time.Second).Format(time.RFC3339)
		in.DueAt = &due
	}
	task, err := a.opts.Records.AddTaskWithID(ctx, call.AccountID, call.ContactID, id, in)
	if duplicate(err) {
		task, err = a.opts.Records.GetTask(ctx, call.AccountID, id)
	}
	if err != nil {
		return steps.Task{}, recordError(err, map[string]string{
			"title": "config.title", "body": "config.body", "assignee_id": "config.assignee_id", "due_at": "config.due_in"})
	}
	return steps.Task{ID: task.ID, DueAt: task.DueAt}, nil
}
