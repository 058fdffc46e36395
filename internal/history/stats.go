package history

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// StatsFilter selects what a workflow's statistics count: enrollments that
// started in [From, To), and step visits that started in it. Nil bounds are open.
type StatsFilter struct {
	AccountID, WorkflowID string
	From, To              *time.Time
}

// Stats are a workflow's numbers. Every enrollment counts once under its
// current status (pending runs count as active), so
// enrolled = active + waiting + completed + exited + failed.
type Stats struct {
	Enrolled, Active, Waiting, Completed, Exited, Failed int64
	// GoalReached counts enrollments whose log has a completed goal step.
	GoalReached int64
	Steps       map[string]*StepStats
	// Branches has, for each split and if_else step, its completed visits
	// (those Steps counts as executed) by the branch they took, as logged
	// in output.branch: a split's path name, an if_else's branch name or
	// "None" (no branch matched).
	Branches map[string]map[string]int64
	// BranchGoals has, for the same steps and branch names as Branches,
	// the distinct enrollments with such a visit that reached a goal (as
	// GoalReached counts them), to compare how the paths convert.
	BranchGoals map[string]map[string]int64
	Messages    map[string]*MessageStats
	ByDay       []*DayStats
}

// StepStats counts one step's visits by status: each visit is in exactly
// one of them (executed means completed).
type StepStats struct {
	Executed, Skipped, Failed, Waiting, Running int64
}

// MessageStats counts one message step's messages (see messageStats).
type MessageStats struct {
	Sent, Delivered, Failed, Skipped, Opened, Clicked, Replied int64
}

// DayStats are one UTC day: enrollments that started on it, and that
// completed or failed on it.
type DayStats struct {
	Date                        string // YYYY-MM-DD
	Enrolled, Completed, Failed int64
}

// messageStepTypes are the steps whose messages are counted per step.
var messageStepTypes = map[string]bool{"send_sms": true, "send_email": true, "internal_notification": true}

// branchStepTypes are the steps whose visits are counted by branch taken.
var branchStepTypes = map[string]bool{"split": true, "if_else": true}

// Stats counts a workflow's enrollments, step visits and messages. Each
// number comes from a GROUP BY the database answers from an index; nothing
// row by row travels into Go.
func (s *Service) Stats(ctx context.Context, f StatsFilter) (*Stats, error) {
	wf, err := s.workflow(ctx, f.AccountID, f.WorkflowID)
	if err != nil {
		return nil, err
	}
	st := &Stats{Steps: map[string]*StepStats{}, Branches: map[string]map[string]int64{}, BranchGoals: map[string]map[string]int64{},
		Messages: map[string]*MessageStats{}, ByDay: []*DayStats{}}
	// Steps of the current definition show up even before anyone reached
	// them, and so do the branches a split or if_else has now.
	current := definitionSteps(wf.Definition)
	for _, step := range current {
		st.Steps[step.ID] = &StepStats{}
		if messageStepTypes[step.Type] {
			st.Messages[step.ID] = &MessageStats{}
		}
		if branchStepTypes[step.Type] {
			st.Branches[step.ID] = map[string]int64{}
			for _, name := range branchNames(step) {
				st.Branches[step.ID][name] = 0
			}
		}
	}
	db := s.DB.WithContext(ctx)
	branches := func(db *gorm.DB, f StatsFilter, st *Stats) error { return branchStats(db, f, st, current) }
	for _, count := range []func(*gorm.DB, StatsFilter, *Stats) error{
		enrollmentStats, stepStats, s.goalStats, branches, dayStats, messageStats,
	} {
		if err := count(db, f, st); err != nil {
			return nil, fmt.Errorf("counting statistics of workflow %s: %w", f.WorkflowID, err)
		}
	}
	return st, nil
}

// inRange restricts a query to rows whose col is in [From, To).
func inRange(q *gorm.DB, col string, f StatsFilter) *gorm.DB {
	if f.From != nil {
		q = q.Where(col+" >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where(col+" < ?", f.To.UTC())
	}
	return q
}

// enrollmentStats: idx_enrollments_wf_started (workflow_id, started_at, status, finished_at) covers it.
func enrollmentStats(db *gorm.DB, f StatsFilter, st *Stats) error {
	var rows []struct {
		Status string
		N      int64
	}
	q := inRange(db.Model(&models.Enrollment{}).Where("workflow_id = ?", f.WorkflowID), "started_at", f)
	if err := q.Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return fmt.Errorf("enrollments: %w", err)
	}
	for _, r := range rows {
		st.Enrolled += r.N
		switch r.Status {
		case models.EnrollmentActive, models.EnrollmentPending:
			st.Active += r.N
		case models.EnrollmentWaiting:
			st.Waiting += r.N
		case models.EnrollmentCompleted:
			st.Completed += r.N
		case models.EnrollmentExited:
			st.Exited += r.N
		case models.EnrollmentFailed:
			st.Failed += r.N
		}
	}
	return nil
}

// stepStats: idx_step_executions_wf_step (workflow_id, step_id, status, started_at) covers it.
func stepStats(db *gorm.DB, f StatsFilter, st *Stats) error {
	var rows []struct {
		StepID string
		Status string
		N      int64
	}
	q := inRange(db.Model(&models.StepExecution{}).Where("workflow_id = ?", f.WorkflowID), "started_at", f)
	if err := q.Select("step_id, status, COUNT(*) AS n").Group("step_id, status").Scan(&rows).Error; err != nil {
		return fmt.Errorf("steps: %w", err)
	}
	for _, r := range rows {
		s := st.Steps[r.StepID]
		if s == nil {
			s = &StepStats{}
			st.Steps[r.StepID] = s
		}
		switch r.Status {
		case models.StepCompleted:
			s.Executed += r.N
		case models.StepSkipped:
			s.Skipped += r.N
		case models.StepFailed:
			s.Failed += r.N
		case models.StepWaiting:
			s.Waiting += r.N
		case models.StepRunning:
			s.Running += r.N
		}
	}
	return nil
}

// goalStats counts enrollments (started in the range) with a completed
// goal step. The goal steps are read from every version of the workflow,
// so the count is an index lookup on (workflow_id, step_id, status).
func (s *Service) goalStats(db *gorm.DB, f StatsFilter, st *Stats) error {
	steps, err := versionSteps(db, f.WorkflowID)
	if err != nil {
		return err
	}
	goals := goalSteps(steps)
	if len(goals) == 0 {
		return nil
	}
	q := goalReached(db, f.WorkflowID, goals)
	if f.From != nil || f.To != nil {
		q = q.Where("enrollment_id IN (?)",
			inRange(db.Model(&models.Enrollment{}).Select("id").Where("workflow_id = ?", f.WorkflowID), "started_at", f))
	}
	if err := q.Distinct("enrollment_id").Count(&st.GoalReached).Error; err != nil {
		return fmt.Errorf("goals: %w", err)
	}
	return nil
}

// goalSteps are the ids of the goal steps among steps.
func goalSteps(steps []stepRef) []string {
	var goals []string
	for _, step := range steps {
		if step.Type == "goal" {
			goals = append(goals, step.ID)
		}
	}
	return unique(goals)
}

// goalReached selects the log rows that make an enrollment count as having
// reached a goal: completed visits of the goal steps. The rows are found by
// idx_step_executions_wf_step (workflow_id, step_id, status, started_at).
func goalReached(db *gorm.DB, workflowID string, goals []string) *gorm.DB {
	return db.Model(&models.StepExecution{}).
		Where("workflow_id = ? AND step_id IN ? AND status = ? AND step_type = ?", workflowID, goals, models.StepCompleted, "goal")
}

// versionSteps are the steps of every published version of the workflow.
func versionSteps(db *gorm.DB, workflowID string) ([]stepRef, error) {
	var versions []models.WorkflowVersion
	if err := db.Select("definition").Where("workflow_id = ?", workflowID).Find(&versions).Error; err != nil {
		return nil, fmt.Errorf("reading versions: %w", err)
	}
	var steps []stepRef
	for _, v := range versions {
		steps = append(steps, definitionSteps(v.Definition)...)
	}
	return steps, nil
}

// branchStats counts the completed visits of split and if_else steps by
// their output.branch. The steps are those of every version and of the
// current definition (test runs may run a draft), so the rows are found by
// idx_step_executions_wf_step (workflow_id, step_id, status, started_at);
// only those rows are read, for their output. BranchGoals counts, per
// branch, the distinct enrollments of those rows that reached a goal: the
// same rows, each with goalReached's rows of its enrollment.
func branchStats(db *gorm.DB, f StatsFilter, st *Stats, current []stepRef) error {
	steps, err := versionSteps(db, f.WorkflowID)
	if err != nil {
		return err
	}
	var ids []string
	for _, step := range append(steps, current...) {
		if branchStepTypes[step.Type] {
			ids = append(ids, step.ID)
		}
	}
	if ids = unique(ids); len(ids) == 0 {
		return nil
	}
	var rows []struct {
		StepID string
		Branch *string
		N      int64
	}
	branch := jsonText(db, "output", "branch")
	visits := func(q *gorm.DB) *gorm.DB {
		return inRange(q.Where("workflow_id = ? AND step_id IN ? AND status = ? AND step_type IN ?",
			f.WorkflowID, ids, models.StepCompleted, []string{"split", "if_else"}), "started_at", f)
	}
	if err := visits(db.Model(&models.StepExecution{})).Select("step_id, " + branch + " AS branch, COUNT(*) AS n").Group("step_id, " + branch).Scan(&rows).Error; err != nil {
		return fmt.Errorf("branches: %w", err)
	}
	for _, r := range rows {
		if r.Branch == nil {
			continue // a row logged without a branch names none to count
		}
		if st.Branches[r.StepID] == nil {
			st.Branches[r.StepID] = map[string]int64{}
		}
		st.Branches[r.StepID][*r.Branch] += r.N
	}
	for id, names := range st.Branches {
		st.BranchGoals[id] = map[string]int64{}
		for name := range names {
			st.BranchGoals[id][name] = 0
		}
	}
	goals := goalSteps(steps)
	if len(goals) == 0 || len(rows) == 0 {
		return nil
	}
	rows = nil
	// EXISTS, probed by idx_step_executions_visit (enrollment_id, step_id)
	// for each visit in the range, rather than IN, which SQLite answers by
	// walking every goal row of the workflow whatever the range.
	q := visits(db.Table("step_executions AS v")).Where("EXISTS (?)",
		goalReached(db, f.WorkflowID, goals).Select("1").Where("enrollment_id = v.enrollment_id"))
	if err := q.Select("step_id, " + branch + " AS branch, COUNT(DISTINCT enrollment_id) AS n").Group("step_id, " + branch).Scan(&rows).Error; err != nil {
		return fmt.Errorf("branch goals: %w", err)
	}
	for _, r := range rows {
		if r.Branch != nil {
			st.BranchGoals[r.StepID][*r.Branch] = r.N
		}
	}
	return nil
}

// branchNames are the branches a split or if_else step's config names:
// a split's paths, an if_else's branches and "None".
func branchNames(step stepRef) []string {
	var c struct {
		Paths    []struct{ Name string } `json:"paths"`
		Branches []struct{ Name string } `json:"branches"`
	}
	if json.Unmarshal(step.Config, &c) != nil {
		return nil
	}
	var names []string
	for _, p := range append(c.Paths, c.Branches...) {
		if p.Name != "" {
			names = append(names, p.Name)
		}
	}
	if step.Type == "if_else" {
		names = append(names, "None")
	}
	return names
}

// dayStats: enrolled by the UTC day each enrollment started, completed and
// failed by the day it finished, each within the range.
func dayStats(db *gorm.DB, f StatsFilter, st *Stats) error {
	days := map[string]*DayStats{}
	day := func(d string) *DayStats {
		if days[d] == nil {
			days[d] = &DayStats{Date: d}
		}
		return days[d]
	}
	var started []struct {
		D string
		N int64
	}
	startDay := utcDay(db, "started_at")
	q := inRange(db.Model(&models.Enrollment{}).Where("workflow_id = ?", f.WorkflowID), "started_at", f)
	if err := q.Select(startDay + " AS d, COUNT(*) AS n").Group(startDay).Scan(&started).Error; err != nil {
		return fmt.Errorf("enrollments by day: %w", err)
	}
	for _, r := range started {
		day(dayOf(r.D)).Enrolled = r.N
	}
	var finished []struct {
		D      string
		Status string
		N      int64
	}
	endDay := utcDay(db, "finished_at")
	q = inRange(db.Model(&models.Enrollment{}).Where("workflow_id = ? AND status IN ? AND finished_at IS NOT NULL",
		f.WorkflowID, []string{models.EnrollmentCompleted, models.EnrollmentFailed}), "finished_at", f)
	if err := q.Select(endDay + " AS d, status, COUNT(*) AS n").Group(endDay + ", status").Scan(&finished).Error; err != nil {
		return fmt.Errorf("finished enrollments by day: %w", err)
	}
	for _, r := range finished {
		if r.Status == models.EnrollmentCompleted {
			day(dayOf(r.D)).Completed = r.N
		} else {
			day(dayOf(r.D)).Failed = r.N
		}
	}
	for _, d := range days {
		st.ByDay = append(st.ByDay, d)
	}
	sort.Slice(st.ByDay, func(i, j int) bool { return st.ByDay[i].Date < st.ByDay[j].Date })
	return nil
}

// utcDay is the SQL for the UTC day (YYYY-MM-DD) of a time column.
// SQLite's date() reads the stored text with its offset and answers UTC.
func utcDay(db *gorm.DB, col string) string {
	if models.IsPostgres(db) {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "date(" + col + ")"
}

// dayOf keeps the YYYY-MM-DD of what utcDay answered: the SQLite driver
// reads date-like text back as a time ("2025-03-01T00:00:00Z").
func dayOf(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// jsonText is the SQL for a top-level text field of a JSON text column.
func jsonText(db *gorm.DB, col, key string) string {
	if models.IsPostgres(db) {
		return "(" + col + "::jsonb ->> '" + key + "')"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}
