package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/history"
)

// historyRoutes: a workflow's execution log and statistics, a contact's timeline.
func (s *server) historyRoutes(e *echo.Echo) {
	s.v1(e, http.MethodGet, "/v1/workflows/:id/logs", s.workflowLogs)
	s.v1(e, http.MethodGet, "/v1/workflows/:id/stats", s.workflowStats)
	s.v1(e, http.MethodGet, "/v1/contacts/:id/timeline", s.contactTimeline)
}

func (s *server) history() *history.Service { return &history.Service{DB: s.db} }

// LogEntryAnswer is one row of an execution log: one visit of one step.
type LogEntryAnswer struct {
	ID              string         `json:"id"`
	EnrollmentID    string         `json:"enrollment_id"`
	WorkflowID      string         `json:"workflow_id"`
	ContactID       string         `json:"contact_id"`
	ContactName     string         `json:"contact_name"`
	StepID          string         `json:"step_id"`
	StepName        string         `json:"step_name"`
	StepType        string         `json:"step_type"`
	Visit           int            `json:"visit"`
	Status          string         `json:"status"`
	Attempts        int            `json:"attempts"`
	StartedAt       time.Time      `json:"started_at"`
	FinishedAt      *time.Time     `json:"finished_at"`
	DurationMS      *int64         `json:"duration_ms"`
	Output          map[string]any `json:"output"`
	OutputTruncated bool           `json:"output_truncated"`
	Error           string         `json:"error"`
}

func logEntryAnswer(workflowID string, r *history.LogEntry) LogEntryAnswer {
	a := LogEntryAnswer{ID: r.ID, EnrollmentID: r.EnrollmentID, WorkflowID: workflowID, ContactID: r.ContactID,
		ContactName: r.ContactName, StepID: r.StepID, StepName: r.StepName, StepType: r.StepType, Visit: r.Visit,
		Status: r.Status, Attempts: r.Attempts, StartedAt: utc(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt),
		Output: r.Output, OutputTruncated: r.OutputTruncated, Error: r.Error}
	if r.FinishedAt != nil {
		ms := r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		a.DurationMS = &ms
	}
	return a
}

// historyPage reads ?limit= and ?cursor= of the newest-first history lists,
// whose cursors carry a time as well as an id.
func (q *queryReader) historyPage() (int, *history.Cursor) {
	limit := q.limit()
	s := q.raw("cursor")
	if s == "" {
		return limit, nil
	}
	after, err := history.DecodeCursor(s)
	if err != nil {
		q.fault("cursor", "is not a cursor this API returned; pass next_cursor from the previous page")
		return limit, nil
	}
	return limit, after
}

// timeRange reads ?from= (inclusive) and ?to= (exclusive), RFC 3339 times.
func (q *queryReader) timeRange() (from, to *time.Time) {
	from, to = q.time("from"), q.time("to")
	if from != nil && to != nil && !to.After(*from) {
		q.fault("to", "must be after from")
	}
	return from, to
}

// workflowLogs answers a workflow's execution log, newest first.
func (s *server) workflowLogs(c echo.Context) error {
	q := readQuery(c)
	limit, after := q.historyPage()
	from, to := q.timeRange()
	f := history.LogFilter{AccountID: account(c).ID, WorkflowID: param(c, "id"), From: from, To: to, Limit: limit, After: after,
		StepID: q.text("step_id"), ContactID: q.text("contact_id"), Status: q.oneOf("status", history.StepStatuses)}
	if err := q.err(); err != nil {
		return err
	}
	rows, next, err := s.history().Logs(c.Request().Context(), f)
	if errors.Is(err, history.ErrWorkflowNotFound) {
		return notFound("workflow")
	} else if err != nil {
		return err
	}
	items := make([]LogEntryAnswer, len(rows))
	for i := range rows {
		items[i] = logEntryAnswer(f.WorkflowID, &rows[i])
	}
	return c.JSON(http.StatusOK, List[LogEntryAnswer]{Items: items, NextCursor: encodeHistoryCursor(next)})
}

func encodeHistoryCursor(c *history.Cursor) *string {
	if c == nil {
		return nil
	}
	s := c.Encode()
	return &s
}

// StatsAnswer is a workflow's statistics.
type StatsAnswer struct {
	WorkflowID  string                        `json:"workflow_id"`
	From        *time.Time                    `json:"from"`
	To          *time.Time                    `json:"to"`
	Enrolled    int64                         `json:"enrolled"`
	Active      int64                         `json:"active"`
	Waiting     int64                         `json:"waiting"`
	Completed   int64                         `json:"completed"`
	Exited      int64                         `json:"exited"`
	Failed      int64                         `json:"failed"`
	GoalReached int64                         `json:"goal_reached"`
	Steps       map[string]StepStatsAnswer    `json:"steps"`
	Messages    map[string]MessageStatsAnswer `json:"messages"`
	ByDay       []DayStatsAnswer              `json:"by_day"`
}

// StepStatsAnswer counts one step's visits by status; a split or if_else
// step's executed visits also by the branch they took, and by branch the
// enrollments that took it and reached a goal.
type StepStatsAnswer struct {
	Executed    int64            `json:"executed"`
	Skipped     int64            `json:"skipped"`
	Failed      int64            `json:"failed"`
	Waiting     int64            `json:"waiting"`
	Running     int64            `json:"running"`
	Branches    map[string]int64 `json:"branches,omitempty"`
	BranchGoals map[string]int64 `json:"branch_goals,omitempty"`
}

// MessageStatsAnswer counts one message step's messages.
type MessageStatsAnswer struct {
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
	Skipped   int64 `json:"skipped"`
	Opened    int64 `json:"opened"`
	Clicked   int64 `json:"clicked"`
	Replied   int64 `json:"replied"`
}

// DayStatsAnswer is one UTC day.
type DayStatsAnswer struct {
	Date      string `json:"date"`
	Enrolled  int64  `json:"enrolled"`
	Completed int64  `json:"completed"`
	Failed    int64  `json:"failed"`
}

// workflowStats answers a workflow's statistics over ?from= and ?to=.
func (s *server) workflowStats(c echo.Context) error {
	q := readQuery(c)
	from, to := q.timeRange()
	if err := q.err(); err != nil {
		return err
	}
	id := param(c, "id")
	st, err := s.history().Stats(c.Request().Context(), history.StatsFilter{AccountID: account(c).ID, WorkflowID: id, From: from, To: to})
	if errors.Is(err, history.ErrWorkflowNotFound) {
		return notFound("workflow")
	} else if err != nil {
		return err
	}
	a := StatsAnswer{WorkflowID: id, From: from, To: to, Enrolled: st.Enrolled, Active: st.Active, Waiting: st.Waiting,
		Completed: st.Completed, Exited: st.Exited, Failed: st.Failed, GoalReached: st.GoalReached,
		Steps: map[string]StepStatsAnswer{}, Messages: map[string]MessageStatsAnswer{}, ByDay: []DayStatsAnswer{}}
	for id, v := range st.Steps {
		a.Steps[id] = StepStatsAnswer{Executed: v.Executed, Skipped: v.Skipped, Failed: v.Failed, Waiting: v.Waiting,
			Running: v.Running, Branches: st.Branches[id], BranchGoals: st.BranchGoals[id]}
	}
	for id, v := range st.Messages {
		a.Messages[id] = MessageStatsAnswer(*v)
	}
	for _, d := range st.ByDay {
		a.ByDay = append(a.ByDay, DayStatsAnswer{Date: d.Date, Enrolled: d.Enrolled, Completed: d.Completed, Failed: d.Failed})
	}
	return c.JSON(http.StatusOK, a)
}

// TimelineEntryAnswer is an event or a step in a contact's timeline.
type TimelineEntryAnswer struct {
	Type         string               `json:"type"` // event or step
	ID           string               `json:"id"`
	At           time.Time            `json:"at"`
	WorkflowID   *string              `json:"workflow_id"`
	WorkflowName *string              `json:"workflow_name"`
	Event        *TimelineEventAnswer `json:"event"`
	Step         *LogEntryAnswer      `json:"step"`
}

// TimelineEventAnswer is an event of the timeline with the runs it started.
type TimelineEventAnswer struct {
	ID          string                    `json:"id"`
	ExternalID  string                    `json:"external_id"`
	Type        string                    `json:"type"`
	Data        map[string]any            `json:"data"`
	OccurredAt  time.Time                 `json:"occurred_at"`
	Enrollments []StartedEnrollmentAnswer `json:"enrollments"`
}

// StartedEnrollmentAnswer is an enrollment an event started.
type StartedEnrollmentAnswer struct {
	EnrollmentID string `json:"enrollment_id"`
	WorkflowID   string `json:"workflow_id"`
	WorkflowName string `json:"workflow_name"`
}

// contactTimeline answers the contact's events and steps across workflows, newest first.
func (s *server) contactTimeline(c echo.Context) error {
	q := readQuery(c)
	limit, after := q.historyPage()
	if err := q.err(); err != nil {
		return err
	}
	entries, next, err := s.history().Timeline(c.Request().Context(), account(c).ID, param(c, "id"), limit, after)
	if errors.Is(err, history.ErrContactNotFound) {
		return notFound("contact")
	} else if err != nil {
		return err
	}
	items := make([]TimelineEntryAnswer, len(entries))
	for i, en := range entries {
		a := TimelineEntryAnswer{Type: en.Kind, ID: en.ID, At: utc(en.At)}
		if en.Step != nil {
			step := logEntryAnswer(en.WorkflowID, en.Step)
			a.Step, a.WorkflowID, a.WorkflowName = &step, &en.WorkflowID, &en.WorkflowName
		}
		if ev := en.Event; ev != nil {
			data := ev.Data
			if data == nil {
				data = map[string]any{}
			}
			a.Event = &TimelineEventAnswer{ID: ev.ID, ExternalID: ev.ExternalID, Type: ev.Type, Data: data,
				OccurredAt: utc(ev.OccurredAt), Enrollments: make([]StartedEnrollmentAnswer, len(en.Started))}
			for j, st := range en.Started {
				a.Event.Enrollments[j] = StartedEnrollmentAnswer(st)
			}
		}
		items[i] = a
	}
	return c.JSON(http.StatusOK, List[TimelineEntryAnswer]{Items: items, NextCursor: encodeHistoryCursor(next)})
}
