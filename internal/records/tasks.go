package records

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// TaskInput is a task as the API receives it; nil fields are left alone, so
// the same type serves create and patch.
type TaskInput struct {
	Title      *string `json:"title"`
	Body       *string `json:"body"`
	AssigneeID *string `json:"assignee_id"` // "" unassigns
	DueAt      *string `json:"due_at"`      // RFC 3339; "" clears
	Completed  *bool   `json:"completed"`
}

// GetTask loads a task of the account.
func (s *Service) GetTask(ctx context.Context, accountID, id string) (*models.Task, error) {
	var t models.Task
	if err := first(s.DB.WithContext(ctx), "task", accountID, id, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// AddTask stores a task on a contact and raises task_added (and
// task_completed when it is created done).
func (s *Service) AddTask(ctx context.Context, accountID, contactID string, in TaskInput) (*models.Task, error) {
	return s.AddTaskWithID(ctx, accountID, contactID, models.NewID(), in)
}

// AddTaskWithID is AddTask with the task's id chosen by the caller (see AddNoteWithID).
func (s *Service) AddTaskWithID(ctx context.Context, accountID, contactID, id string, in TaskInput) (*models.Task, error) {
	t := &models.Task{ID: id, AccountID: accountID, ContactID: contactID}
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		if ok, err := contactExists(tx, accountID, contactID); err != nil || !ok {
			if err == nil {
				err = &NotFoundError{What: "contact"}
			}
			return nil, err
		}
		completed, err := applyTask(tx, in, t)
		if err != nil {
			return nil, err
		}
		if err := tx.Create(t).Error; err != nil {
			return nil, fmt.Errorf("creating task: %w", err)
		}
		events := []*models.Event{taskEvent(t, "task_added")}
		if completed {
			events = append(events, taskEvent(t, "task_completed"))
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetTask(ctx, accountID, t.ID)
}

// UpdateTask applies a patch. Completing a task raises task_completed once:
// completing a completed task again changes nothing, and of two concurrent
// completions only the first sees the task open (the row is locked).
// Reopening it (completed: false) and completing it later raises it again.
func (s *Service) UpdateTask(ctx context.Context, accountID, id string, in TaskInput) (*models.Task, error) {
	err := s.change(ctx, func(tx *gorm.DB) ([]*models.Event, error) {
		var t models.Task
		if err := first(forUpdate(tx), "task", accountID, id, &t); err != nil {
			return nil, err
		}
		completed, err := applyTask(tx, in, &t)
		if err != nil {
			return nil, err
		}
		if err := tx.Save(&t).Error; err != nil {
			return nil, fmt.Errorf("updating task %s: %w", id, err)
		}
		if completed {
			return []*models.Event{taskEvent(&t, "task_completed")}, nil
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetTask(ctx, accountID, id)
}

// DeleteTask removes a task.
func (s *Service) DeleteTask(ctx context.Context, accountID, id string) error {
	res := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&models.Task{})
	if res.Error != nil {
		return fmt.Errorf("deleting task %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return &NotFoundError{What: "task"}
	}
	return nil
}

// applyTask validates the input onto t and reports whether it completed
// the task (open before, completed now).
func applyTask(tx *gorm.DB, in TaskInput, t *models.Task) (completed bool, err error) {
	p := validation.NewProblems()
	if in.Title != nil {
		t.Title = strings.TrimSpace(*in.Title)
	}
	switch {
	case t.Title == "":
		p.Add("title", "is required")
	case len(t.Title) > 500:
		p.Add("title", "is at most 500 characters")
	}
	if in.Body != nil {
		t.Body = strings.TrimSpace(*in.Body)
		if len(t.Body) > noteBodyLimit {
			p.Add("body", "is at most %d bytes", noteBodyLimit)
		}
	}
	if err := optionalUser(tx, p, "assignee_id", t.AccountID, in.AssigneeID, &t.AssigneeID); err != nil {
		return false, err
	}
	if in.DueAt != nil {
		if strings.TrimSpace(*in.DueAt) == "" {
			t.DueAt = nil
		} else if due, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.DueAt)); err != nil {
			p.Add("due_at", "must be an RFC 3339 time, e.g. 2026-12-03T15:00:00Z")
		} else {
			due = due.UTC()
			t.DueAt = &due
		}
	}
	if errs := p.Errors(); errs != nil {
		return false, errs
	}
	if in.Completed != nil && *in.Completed != t.Completed {
		t.Completed = *in.Completed
		if t.Completed {
			now := time.Now().UTC()
			t.CompletedAt = &now
			completed = true
		} else {
			t.CompletedAt = nil
		}
	}
	return completed, nil
}

func taskEvent(t *models.Task, typ string) *models.Event {
	return newEvent(t.AccountID, t.ContactID, typ, map[string]any{"task_id": t.ID, "title": t.Title})
}
