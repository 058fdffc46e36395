package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// Enroller puts contacts into workflows (internal/enrollment.Service).
type Enroller interface {
	Enroll(ctx context.Context, req enrollment.Request) (*models.Enrollment, bool, error)
}

// Scheduled is the activity of the runs that scheduled triggers' Temporal
// Schedules start: it finds what is due and enrolls it. It is apart from
// Activities because it runs outside any enrollment.
type Scheduled struct {
	DB          *gorm.DB
	Enrollments Enroller
	Log         *slog.Logger
}

// Register registers the activity under the name ScheduleFired calls.
func (a *Scheduled) Register(w Registry) {
	w.RegisterActivityWithOptions(a.EnrollScheduled, activity.RegisterOptions{Name: workflows.ActivityEnrollScheduled})
}

// reminderPage is how many candidate contacts are read at a time.
const reminderPage = 500

// scheduledRun is what one fired trigger works with.
type scheduledRun struct {
	in       workflows.EnrollScheduledInput
	trigger  *definition.Trigger
	settings definition.Settings
	account  models.Account
}

// EnrollScheduled enrolls what a scheduled trigger selects at the run's
// nominal time: a contact-free run for a scheduler trigger, the contacts
// whose date is due for a reminder. Every enrollment is scoped to its
// occurrence (Request.Once), so running it twice enrolls nobody twice.
func (a *Scheduled) EnrollScheduled(ctx context.Context, in workflows.EnrollScheduledInput) (workflows.EnrollScheduledResult, error) {
	r, skipped, err := a.load(ctx, in)
	if err != nil || skipped != "" {
		return workflows.EnrollScheduledResult{Skipped: skipped}, err
	}
	if r.trigger.Type == "scheduler" {
		return a.runScheduler(ctx, r)
	}
	return a.remind(ctx, r)
}

// load reads the trigger as currently published, with its version's
// settings. A schedule can outlive its trigger for a moment (a draft in
// progress): then there is nothing to do.
func (a *Scheduled) load(ctx context.Context, in workflows.EnrollScheduledInput) (*scheduledRun, string, error) {
	db := a.DB.WithContext(ctx)
	var row models.PublishedTrigger
	err := db.Where("account_id = ? AND workflow_id = ? AND trigger_id = ?", in.AccountID, in.WorkflowID, in.TriggerID).
		Limit(1).Find(&row).Error
	if err != nil {
		return nil, "", fmt.Errorf("loading trigger %s of workflow %s: %w", in.TriggerID, in.WorkflowID, err)
	}
	if row.ID == "" {
		return nil, fmt.Sprintf("trigger %s of workflow %s is not published", in.TriggerID, in.WorkflowID), nil
	}
	r := &scheduledRun{in: in, trigger: &definition.Trigger{}}
	if err := json.Unmarshal(row.Definition, r.trigger); err != nil {
		return nil, "", fmt.Errorf("reading trigger %s of workflow %s: %w", in.TriggerID, in.WorkflowID, err)
	}
	var v models.WorkflowVersion
	if err := db.Where("workflow_id = ? AND version = ?", row.WorkflowID, row.Version).First(&v).Error; err != nil {
		return nil, "", fmt.Errorf("loading version %d of workflow %s: %w", row.Version, row.WorkflowID, err)
	}
	var def definition.Definition
	if err := json.Unmarshal(v.Definition, &def); err != nil {
		return nil, "", fmt.Errorf("reading version %d of workflow %s: %w", row.Version, row.WorkflowID, err)
	}
	r.settings = def.Settings
	if err := db.Where("id = ?", in.AccountID).First(&r.account).Error; err != nil {
		return nil, "", fmt.Errorf("loading account %s: %w", in.AccountID, err)
	}
	return r, "", nil
}

// runScheduler starts the workflow's contact-free run for this occurrence.
func (a *Scheduled) runScheduler(ctx context.Context, r *scheduledRun) (workflows.EnrollScheduledResult, error) {
	cfg, clock, err := triggers.Scheduler(r.trigger)
	if err != nil {
		return workflows.EnrollScheduledResult{}, err
	}
	loc, _ := triggers.Zone(r.settings.Timezone, r.account.Timezone, "") // "contact" is the account's: no contact here
	day, reached := triggers.ReminderDue(r.in.At, loc, clock)
	switch {
	case !reached:
		return workflows.EnrollScheduledResult{Skipped: "the scheduled time has not come yet today"}, nil
	case !cfg.RunsOn(day):
		return workflows.EnrollScheduledResult{Skipped: fmt.Sprintf("%s is not the run day of this month (day_of_month %d)", day, cfg.DayOfMonth)}, nil
	}
	// One run per local day (a second check the same day, such as the
	// daylight-saving safety net, finds it done), or one per date and time for "once".
	scope := "scheduler:" + day.String()
	if when, err := time.Parse(time.RFC3339, cfg.At); cfg.Frequency == triggers.Once && err == nil {
		scope = "scheduler:once:" + when.UTC().Format(time.RFC3339)
	}
	at := r.in.At.UTC().Truncate(time.Second)
	data := map[string]any{"trigger_id": r.trigger.ID, "scheduled_at": at.Format(time.RFC3339), "date": day.String(), "frequency": cfg.Frequency}
	if !condition.Evaluate(r.trigger.Filters, scopeOf(models.Contact{}, data, at), at) {
		return workflows.EnrollScheduledResult{Skipped: "the trigger's filters do not hold"}, nil
	}
	_, created, err := a.Enrollments.Enroll(ctx, enrollment.Request{
		AccountID: r.in.AccountID, WorkflowID: r.in.WorkflowID, TriggerID: r.trigger.ID,
		Scope: scope, Once: true, ContactFree: true,
		Event: &models.Event{Type: r.trigger.Type, Data: data, OccurredAt: at},
	})
	switch {
	case errors.Is(err, enrollment.ErrNotPublished):
		return workflows.EnrollScheduledResult{Skipped: "the workflow is not published"}, nil
	case err != nil:
		return workflows.EnrollScheduledResult{}, fmt.Errorf("starting the scheduled run of workflow %s: %w", r.in.WorkflowID, err)
	case !created:
		return workflows.EnrollScheduledResult{Skipped: "this occurrence already ran"}, nil
	}
	return workflows.EnrollScheduledResult{Enrolled: 1}, nil
}

// scopeOf is what a scheduled trigger's filters read.
func scopeOf(c models.Contact, data map[string]any, at time.Time) condition.MapScope {
	return condition.MapScope{"contact": c.Fields(), "event": data, "now": condition.NowFields(at)}
}
