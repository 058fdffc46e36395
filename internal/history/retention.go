package history

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/durations"
)

// ParseRetention reads CRMFLOW_LOG_RETENTION: a duration such as "90d",
// "12w" or "720h"; "" (the default) keeps logs forever and answers 0.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := durations.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("CRMFLOW_LOG_RETENTION: %w", err)
	}
	if d < time.Hour {
		return 0, fmt.Errorf("CRMFLOW_LOG_RETENTION: %q is shorter than an hour; leave it unset to keep logs forever", s)
	}
	return d, nil
}

// PruneInterval is how often the worker and `crmflow dev` prune.
const PruneInterval = time.Hour

// pruneBatch bounds each DELETE, so the pruner never holds a long lock
// (SQLite has one writer) beside live traffic.
const pruneBatch = 5000

// Pruned says how many rows a prune deleted.
type Pruned struct {
	Steps, Events int64
}

// Prune deletes what is older than the retention and no longer needed:
//   - the execution log (step executions) of enrollments that finished
//     (completed, failed, exited) before now-retention: a log goes whole,
//     never half of it;
//   - events routed before now-retention, except those that started an
//     enrollment still running (its restart reads them).
//
// Enrollments and messages stay, so enrolled/completed/failed counts and
// re-entry rules hold; per-step counts and goal_reached then cover the
// logs that remain.
func (s *Service) Prune(ctx context.Context, retention time.Duration, now time.Time) (Pruned, error) {
	var p Pruned
	if retention <= 0 {
		return p, nil
	}
	cutoff := now.UTC().Add(-retention)
	finished := []string{models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited}
	running := []string{models.EnrollmentPending, models.EnrollmentActive, models.EnrollmentWaiting}
	db := s.DB.WithContext(ctx)
	for {
		old := db.Model(&models.StepExecution{}).Select("step_executions.id").
			Joins("JOIN enrollments ON enrollments.id = step_executions.enrollment_id").
			Where("enrollments.status IN ? AND enrollments.finished_at < ?", finished, cutoff).Limit(pruneBatch)
		res := db.Where("id IN (?)", old).Delete(&models.StepExecution{})
		if res.Error != nil {
			return p, fmt.Errorf("pruning step executions before %s: %w", cutoff.Format(time.RFC3339), res.Error)
		}
		p.Steps += res.RowsAffected
		if res.RowsAffected < pruneBatch {
			break
		}
	}
	for {
		old := db.Model(&models.Event{}).Select("id").
			Where("routed_at < ? AND id NOT IN (?)", cutoff,
				db.Model(&models.Enrollment{}).Select("event_id").Where("status IN ? AND event_id <> ''", running)).
			Limit(pruneBatch)
		res := db.Where("id IN (?)", old).Delete(&models.Event{})
		if res.Error != nil {
			return p, fmt.Errorf("pruning events before %s: %w", cutoff.Format(time.RFC3339), res.Error)
		}
		p.Events += res.RowsAffected
		if res.RowsAffected < pruneBatch {
			break
		}
	}
	return p, nil
}

// RunPruner prunes at start and then every interval until ctx ends; a
// retention of 0 (keep forever) returns at once.
func (s *Service) RunPruner(ctx context.Context, retention, interval time.Duration, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p, err := s.Prune(ctx, retention, time.Now())
		switch {
		case err != nil && ctx.Err() == nil && log != nil:
			log.WarnContext(ctx, "pruning old logs failed", "error", err)
		case err == nil && (p.Steps > 0 || p.Events > 0) && log != nil:
			log.InfoContext(ctx, "pruned old logs", "step_executions", p.Steps, "events", p.Events, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
