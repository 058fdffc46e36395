package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// reminder is one reminder trigger being checked at one instant.
type reminder struct {
	*scheduledRun
	cfg        triggers.ReminderConfig
	clock      triggers.Clock
	birthday   bool
	key        string // custom field key (custom_date_reminder)
	perContact bool   // settings.timezone "contact": each contact's own zone
}

// remind enrolls the contacts whose reminder is due at the run's nominal
// time: in their zone (the workflow's, or each contact's own), the local
// clock has reached the reminder's time today, and today minus offset_days
// is their date (their birthday, or the date in the custom field). Each is
// enrolled once per occasion (scope "birthday:2026-12-03"), however often
// the schedule checks: per-contact zones are checked every 15 minutes.
func (a *Scheduled) remind(ctx context.Context, r *scheduledRun) (workflows.EnrollScheduledResult, error) {
	cfg, clock, err := triggers.Reminder(r.trigger)
	if err != nil {
		return workflows.EnrollScheduledResult{}, err
	}
	rm := &reminder{scheduledRun: r, cfg: cfg, clock: clock, birthday: r.trigger.Type == "birthday_reminder",
		perContact: r.settings.Timezone == "contact"}
	if !rm.birthday {
		rm.key, _ = triggers.CustomKey(cfg.Field)
	}
	occasions := rm.occasions()
	if len(occasions) == 0 {
		return workflows.EnrollScheduledResult{Skipped: "the reminder time has not come yet today"}, nil
	}
	res := workflows.EnrollScheduledResult{}
	var errs []error
	after := ""
	for {
		var page []models.Contact
		if err := rm.candidates(a.DB.WithContext(ctx), occasions).Where("id > ?", after).
			Order("id").Limit(reminderPage).Preload("Tags").Find(&page).Error; err != nil {
			return res, fmt.Errorf("finding contacts for trigger %s: %w", r.trigger.ID, err)
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		n, stop, err := a.enrollDue(ctx, rm, page)
		res.Enrolled += n
		if err != nil {
			errs = append(errs, err)
		}
		if stop != "" {
			res.Skipped = stop
			break
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, after)
		}
	}
	return res, errors.Join(errs...)
}

// occasions are the dates whose contacts may be due: in a fixed zone, the
// one date today's reminder is about (none before the reminder's time);
// with per-contact zones, those of the local dates that are "today"
// somewhere (UTC's date and a day either side). Each contact is then
// checked exactly in its own zone.
func (rm *reminder) occasions() []triggers.Date {
	if !rm.perContact {
		loc, _ := triggers.Zone(rm.settings.Timezone, rm.account.Timezone, "")
		day, due := triggers.ReminderDue(rm.in.At, loc, rm.clock)
		if !due {
			return nil
		}
		return []triggers.Date{triggers.Occasion(day, rm.cfg.OffsetDays)}
	}
	utc := triggers.DateOf(rm.in.At.UTC())
	var out []triggers.Date
	for d := -1; d <= 1; d++ {
		out = append(out, triggers.Occasion(utc.AddDays(d), rm.cfg.OffsetDays))
	}
	return out
}

// candidates narrows the account's contacts in the database to those that
// may have one of the dates; due checks each exactly.
func (rm *reminder) candidates(db *gorm.DB, occasions []triggers.Date) *gorm.DB {
	q := db.Model(&models.Contact{}).Where("account_id = ?", rm.in.AccountID)
	if rm.birthday {
		var monthDays []string
		for _, d := range occasions {
			monthDays = append(monthDays, triggers.BirthdayMonthDays(d)...)
		}
		// "YYYY-MM-DD": characters 6 to 10 are the month and day (SQLite and PostgreSQL alike).
		return q.Where("date_of_birth <> '' AND substr(date_of_birth, 6, 5) IN ?", monthDays)
	}
	// Custom fields are JSON text: a LIKE on the date narrows the scan (a
	// time in another zone may name the day before or after).
	group := db.Where("1 = 0")
	seen := map[string]bool{}
	for _, d := range occasions {
		for _, near := range []triggers.Date{d.AddDays(-1), d, d.AddDays(1)} {
			if s := near.String(); !seen[s] {
				seen[s] = true
				group = group.Or("custom LIKE ?", "%"+s+"%")
			}
		}
	}
	return q.Where(group)
}

// due returns the scope of the contact's occasion if its reminder is due
// now, or "".
func (rm *reminder) due(c *models.Contact) (scope string, occasion, day triggers.Date) {
	loc, _ := triggers.Zone(rm.settings.Timezone, rm.account.Timezone, c.Timezone)
	day, reached := triggers.ReminderDue(rm.in.At, loc, rm.clock)
	if !reached {
		return "", occasion, day
	}
	occasion = triggers.Occasion(day, rm.cfg.OffsetDays)
	prefix := "birthday:"
	if rm.birthday {
		dob, ok := triggers.ParseDate(c.DateOfBirth)
		if !ok || !triggers.BirthdayOn(dob, occasion) {
			return "", occasion, day
		}
	} else {
		d, ok := triggers.DateValue(c.Custom[rm.key], loc)
		if !ok || d != occasion {
			return "", occasion, day
		}
		prefix = "custom." + rm.key + ":"
	}
	scope = prefix + occasion.String()
	if rm.cfg.OffsetDays != 0 { // a workflow may remind a week before and on the day: two occasions
		scope += fmt.Sprintf(":%+dd", rm.cfg.OffsetDays)
	}
	return scope, occasion, day
}

// enrollDue enrolls the due contacts of one page. stop says why the rest
// need not be tried (the workflow was drafted meanwhile).
func (a *Scheduled) enrollDue(ctx context.Context, rm *reminder, page []models.Contact) (int, string, error) {
	type candidate struct {
		contact        *models.Contact
		scope          string
		occasion, when triggers.Date
	}
	var due []candidate
	var ids, scopes []string
	for i := range page {
		c := &page[i]
		scope, occasion, day := rm.due(c)
		if scope == "" {
			continue
		}
		due = append(due, candidate{c, scope, occasion, day})
		ids, scopes = append(ids, c.ID), append(scopes, scope)
	}
	if len(due) == 0 {
		return 0, "", nil
	}
	// Contacts already enrolled for their occasion (an earlier check) are
	// skipped here in one query; Enroll would refuse them one by one.
	var have []models.Enrollment
	if err := a.DB.WithContext(ctx).Select("contact_id", "entry_scope").
		Where("workflow_id = ? AND contact_id IN ? AND entry_scope IN ? AND test = ?", rm.in.WorkflowID, ids, scopes, false).
		Find(&have).Error; err != nil {
		return 0, "", fmt.Errorf("reading earlier reminder enrollments: %w", err)
	}
	enrolled := map[string]bool{}
	for _, e := range have {
		enrolled[e.ContactID+"\x00"+e.EntryScope] = true
	}
	at := rm.in.At.UTC().Truncate(time.Second)
	n := 0
	var errs []error
	for _, d := range due {
		if enrolled[d.contact.ID+"\x00"+d.scope] {
			continue
		}
		data := map[string]any{"trigger_id": rm.trigger.ID, "date": d.occasion.String(), "reminder_date": d.when.String(),
			"offset_days": rm.cfg.OffsetDays}
		if !rm.birthday {
			data["field"] = "custom." + rm.key
		}
		if !condition.Evaluate(rm.trigger.Filters, scopeOf(*d.contact, data, at), at) {
			continue
		}
		_, created, err := a.Enrollments.Enroll(ctx, enrollment.Request{
			AccountID: rm.in.AccountID, WorkflowID: rm.in.WorkflowID, ContactID: d.contact.ID, TriggerID: rm.trigger.ID,
			Scope: d.scope, Once: true, Event: &models.Event{Type: rm.trigger.Type, ContactID: d.contact.ID, Data: data, OccurredAt: at},
		})
		switch {
		case errors.Is(err, enrollment.ErrNotPublished):
			return n, "the workflow is not published", nil
		case errors.Is(err, enrollment.ErrContactNotFound):
			// deleted since the page was read
		case err != nil:
			errs = append(errs, fmt.Errorf("enrolling contact %s: %w", d.contact.ID, err))
		case created:
			n++
		}
	}
	return n, "", errors.Join(errs...)
}
