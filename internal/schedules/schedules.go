// Package schedules keeps a Temporal Schedule for every scheduled trigger
// (birthday_reminder, custom_date_reminder, scheduler) of every published
// workflow: created on publish, updated on republish, deleted on draft and
// delete. Each schedule starts workflows.ScheduleFired, which enrolls what
// is due. Schedule ids are readable and deterministic:
// schedule/<workflow_id>/<trigger_id>.
package schedules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
	"github.com/crmflow/crmflow/workflows/validation"
)

// catchupWindow is how late a schedule still takes an action it missed
// (Temporal down): a day, so a reminder is at worst a day late, never lost
// to a short outage; the runs are idempotent, so catching up is safe.
const catchupWindow = 24 * time.Hour

// Service manages the schedules through the Temporal client.
type Service struct {
	Temporal client.Client
	Log      *slog.Logger
	// Now is the clock for refusing a "once" time in the past; time.Now when nil.
	Now func() time.Time
}

// ID is the schedule id of a workflow's trigger.
func ID(workflowID, triggerID string) string { return "schedule/" + workflowID + "/" + triggerID }

// Publish makes the workflow's schedules match the definition being
// published (version): creates or updates one per scheduled trigger and
// deletes those of triggers it no longer has. tx is the publish's open
// transaction, so a failure here saves nothing. previous are the trigger
// rows of the version published so far.
func (s *Service) Publish(ctx context.Context, tx *gorm.DB, wf *models.Workflow, def *definition.Definition, version int, previous []models.PublishedTrigger) error {
	var acct models.Account
	if err := tx.Where("id = ?", wf.AccountID).First(&acct).Error; err != nil {
		return fmt.Errorf("loading account %s: %w", wf.AccountID, err)
	}
	if errs := s.check(def, previous); errs != nil {
		return errs
	}
	want := map[string]bool{}
	for i := range def.Triggers {
		t := &def.Triggers[i]
		if !triggers.IsScheduled(t.Type) {
			continue
		}
		opts, err := s.options(wf, &acct, def, t, version)
		if err != nil {
			return err
		}
		if err := s.upsert(ctx, opts); err != nil {
			return err
		}
		want[opts.ID] = true
	}
	return s.deleteAll(ctx, wf.ID, previous, want)
}

// Unpublish deletes every schedule of the workflow (drafted or deleted).
func (s *Service) Unpublish(ctx context.Context, workflowID string, previous []models.PublishedTrigger) error {
	return s.deleteAll(ctx, workflowID, previous, nil)
}

// check refuses a "once" time already past, unless it is the time the
// trigger was published with before (a republish after it ran).
func (s *Service) check(def *definition.Definition, previous []models.PublishedTrigger) validation.Errors {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	p := validation.NewProblems()
	for i := range def.Triggers {
		t := &def.Triggers[i]
		if t.Type != "scheduler" {
			continue
		}
		cfg, _, err := triggers.Scheduler(t)
		when, perr := time.Parse(time.RFC3339, cfg.At)
		if err != nil || perr != nil || cfg.Frequency != triggers.Once || when.After(now) {
			continue
		}
		if publishedAt(previous, t.ID) == cfg.At {
			continue
		}
		p.Add(fmt.Sprintf("triggers[%d].config.at", i), "%s is in the past: a once scheduler must run in the future", cfg.At)
	}
	return p.Errors()
}

// publishedAt is the "at" a scheduler trigger was published with, or "".
func publishedAt(previous []models.PublishedTrigger, triggerID string) string {
	for _, row := range previous {
		if row.TriggerID != triggerID || row.Type != "scheduler" {
			continue
		}
		var t definition.Trigger
		if json.Unmarshal(row.Definition, &t) != nil {
			return ""
		}
		cfg, _, _ := triggers.Scheduler(&t)
		return cfg.At
	}
	return ""
}

// options is the whole schedule of one trigger.
func (s *Service) options(wf *models.Workflow, acct *models.Account, def *definition.Definition, t *definition.Trigger, version int) (client.ScheduleOptions, error) {
	zone, perContact := triggers.Zone(def.Settings.Timezone, acct.Timezone, "")
	sp, err := spec(t, zone, perContact && t.Type != "scheduler")
	if err != nil {
		return client.ScheduleOptions{}, err
	}
	id := ID(wf.ID, t.ID)
	attrs := temporal.NewSearchAttributes(enrollment.AttrAccountID.ValueSet(wf.AccountID), enrollment.AttrWorkflowID.ValueSet(wf.ID))
	return client.ScheduleOptions{
		ID:   id,
		Spec: sp,
		Action: &client.ScheduleWorkflowAction{
			ID:        id, // runs are <id>-<nominal time>
			Workflow:  workflows.ScheduleFiredWorkflow,
			Args:      []any{workflows.ScheduleInput{AccountID: wf.AccountID, WorkflowID: wf.ID, TriggerID: t.ID}},
			TaskQueue: workflows.TaskQueue,
			// A run is one activity; an hour is far past any retry of it.
			WorkflowExecutionTimeout: time.Hour,
			TypedSearchAttributes:    attrs,
			Memo:                     map[string]any{"workflow": wf.Name, "trigger": t.ID, "type": t.Type},
		},
		// Runs are short and idempotent: queue overlaps rather than drop them.
		Overlap:               enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
		CatchupWindow:         catchupWindow,
		Note:                  fmt.Sprintf("trigger %s (%s) of workflow %q, version %d", t.ID, t.Type, wf.Name, version),
		Memo:                  map[string]any{"workflow": wf.Name, "trigger": t.ID, "type": t.Type, "version": version},
		TypedSearchAttributes: attrs,
	}, nil
}

// upsert creates the schedule, or replaces an existing one's spec, action
// and policies (a republish, or a retry of a failed publish).
func (s *Service) upsert(ctx context.Context, opts client.ScheduleOptions) error {
	sc := s.Temporal.ScheduleClient()
	_, err := sc.Create(ctx, opts)
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("creating schedule %s: %w", opts.ID, err)
	}
	attrs := opts.TypedSearchAttributes
	err = sc.GetHandle(ctx, opts.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			spec := opts.Spec
			state := in.Description.Schedule.State
			if state == nil {
				state = &client.ScheduleState{}
			}
			state.Note = opts.Note
			return &client.ScheduleUpdate{
				Schedule: &client.Schedule{
					Action: opts.Action,
					Spec:   &spec,
					Policy: &client.SchedulePolicies{Overlap: opts.Overlap, CatchupWindow: opts.CatchupWindow},
					State:  state,
				},
				TypedSearchAttributes: &attrs,
			}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("updating schedule %s: %w", opts.ID, err)
	}
	return nil
}

// deleteAll deletes the workflow's schedules except keep: those of the
// previously published triggers, and any other Temporal lists for the
// workflow (left by a publish whose transaction failed after creating it).
func (s *Service) deleteAll(ctx context.Context, workflowID string, previous []models.PublishedTrigger, keep map[string]bool) error {
	ids := map[string]bool{}
	var order []string
	add := func(id string) {
		if !ids[id] && !keep[id] {
			ids[id] = true
			order = append(order, id)
		}
	}
	for _, row := range previous {
		if triggers.IsScheduled(row.Type) {
			add(ID(workflowID, row.TriggerID))
		}
	}
	listed, err := s.listed(ctx, workflowID)
	if err != nil && s.Log != nil {
		// The published rows name every schedule but strays; those fire
		// into an unpublished trigger and do nothing.
		s.Log.WarnContext(ctx, "listing schedules failed; deleting the known ones", "workflow_id", workflowID, "error", err)
	}
	for _, id := range listed {
		add(id)
	}
	for _, id := range order {
		err := s.Temporal.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("deleting schedule %s: %w", id, err)
		}
	}
	return nil
}

// listed are the ids of the schedules Temporal lists for the workflow
// (eventually consistent: a schedule created a moment ago may be missing).
func (s *Service) listed(ctx context.Context, workflowID string) ([]string, error) {
	it, err := s.Temporal.ScheduleClient().List(ctx, client.ScheduleListOptions{
		Query: fmt.Sprintf("%s = %q", enrollment.AttrWorkflowID.GetName(), workflowID),
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return out, err
		}
		out = append(out, e.ID)
	}
	return out, nil
}
