package api

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// seedRun writes an enrollment of the workflow and its log the way the
// activities do: steps one second apart from start, the last one failed
// when the run failed.
func (v *testEnv) seedRun(wf, contact string, start time.Time, status string, steps ...string) string {
	v.t.Helper()
	e := models.Enrollment{ID: models.NewID(), AccountID: v.acct.ID, WorkflowID: wf, ContactID: contact, EntryKey: models.NewID(),
		Version: 1, Status: status, StartedAt: start}
	end := start.Add(time.Duration(len(steps)) * time.Second)
	e.FinishedAt = &end
	if err := v.db.Create(&e).Error; err != nil {
		v.t.Fatal(err)
	}
	for i, step := range steps {
		at := start.Add(time.Duration(i) * time.Second)
		fin := at.Add(250 * time.Millisecond)
		row := models.StepExecution{ID: models.NewID(), AccountID: v.acct.ID, WorkflowID: wf, EnrollmentID: e.ID, ContactID: contact,
			StepID: step, Visit: 1, StepType: "send_sms", StepName: "Welcome", Status: models.StepCompleted, Attempts: 1,
			StartedAt: at, FinishedAt: &fin, Output: map[string]any{"body": strings.Repeat("x", 300)}}
		if status == models.EnrollmentFailed && i == len(steps)-1 {
			row.Status, row.Error = models.StepFailed, "Twilio answered 400: phone number is not mobile"
		}
		if err := v.db.Create(&row).Error; err != nil {
			v.t.Fatal(err)
		}
	}
	return e.ID
}

func TestWorkflowLogsAndStatsAnswerFromTheLog(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Welcome")
	ada := str(v.createContact(map[string]any{"first_name": "Ada", "last_name": "Lovelace"})["id"])
	bob := str(v.createContact(map[string]any{"first_name": "Bob"})["id"])
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	v.seedRun(wf, ada, t0, models.EnrollmentCompleted, "s1")
	v.seedRun(wf, bob, t0.Add(24*time.Hour), models.EnrollmentFailed, "s1")

	var page struct {
		Items      []LogEntryAnswer `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/logs?limit=1", nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 1 || page.Items[0].ContactName != "Bob" || page.Items[0].Status != "failed" ||
		page.Items[0].Error != "Twilio answered 400: phone number is not mobile" || page.NextCursor == nil {
		t.Fatalf("first page = %+v", page)
	}
	first := page.Items[0]
	if first.StepName != "Welcome" || first.StepType != "send_sms" || first.DurationMS == nil || *first.DurationMS != 250 ||
		!first.OutputTruncated || len(first.Output["body"].(string)) > 210 {
		t.Errorf("row = %+v", first)
	}
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/logs?limit=1&cursor="+*page.NextCursor, nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 1 || page.Items[0].ContactName != "Ada Lovelace" || page.NextCursor != nil {
		t.Fatalf("second page = %+v", page)
	}
	q := url.Values{"status": {"completed"}, "from": {t0.Format(time.RFC3339)}, "to": {t0.Add(time.Hour).Format(time.RFC3339)},
		"step_id": {"s1"}, "contact_id": {ada}}
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/logs?"+q.Encode(), nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 1 || page.Items[0].ContactID != ada {
		t.Errorf("filtered = %+v", page)
	}

	var st StatsAnswer
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/stats", nil).expect(http.StatusOK).decode(&st)
	if st.Enrolled != 2 || st.Completed != 1 || st.Failed != 1 || !reflect.DeepEqual(st.Steps["s1"], StepStatsAnswer{Executed: 1, Failed: 1}) ||
		len(st.ByDay) != 2 || st.ByDay[0] != (DayStatsAnswer{Date: "2025-05-01", Enrolled: 1, Completed: 1}) {
		t.Errorf("stats = %+v", st)
	}
	if _, ok := st.Messages["s1"]; !ok {
		t.Errorf("the send_sms step has no message counts: %+v", st.Messages)
	}
	from := url.Values{"from": {t0.Add(time.Hour).Format(time.RFC3339)}}
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/stats?"+from.Encode(), nil).expect(http.StatusOK).decode(&st)
	if st.Enrolled != 1 || st.Failed != 1 || st.From == nil {
		t.Errorf("stats from day 2 = %+v", st)
	}
}

func TestStatsCountTheBranchesOfASplit(t *testing.T) {
	v := newEnv(t)
	def := simpleWorkflow("AB")
	def["start"] = "ab"
	def["steps"] = append(def["steps"].([]any), map[string]any{"id": "ab", "type": "split", "config": map[string]any{
		"paths": []any{map[string]any{"name": "A", "percent": 50, "next": "s1"}, map[string]any{"name": "B", "percent": 50, "next": "won"}}}},
		map[string]any{"id": "won", "type": "goal", "config": map[string]any{"events": []any{map[string]any{"type": "payment_received"}}}})
	wf := str(v.createWorkflowAs(v.key, def)["id"])
	v.do(http.MethodPost, "/v1/workflows/"+wf+"/publish", nil).expect(http.StatusOK)
	ada := str(v.createContact(map[string]any{"first_name": "Ada"})["id"])
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	// Ada took path A, then reached the goal; Bob took path B and did not.
	logStep := func(e, contact, step, typ string, at time.Time, out map[string]any) {
		t.Helper()
		if err := v.db.Create(&models.StepExecution{ID: models.NewID(), AccountID: v.acct.ID, WorkflowID: wf, EnrollmentID: e,
			ContactID: contact, StepID: step, Visit: 1, StepType: typ, Status: models.StepCompleted, Attempts: 1, StartedAt: at,
			Output: out}).Error; err != nil {
			t.Fatal(err)
		}
	}
	e := v.seedRun(wf, ada, t0, models.EnrollmentCompleted, "s1")
	logStep(e, ada, "ab", "split", t0, map[string]any{"branch": "A"})
	logStep(e, ada, "won", "goal", t0.Add(time.Hour), map[string]any{"met": true})
	bob := str(v.createContact(map[string]any{"first_name": "Bob"})["id"])
	e = v.seedRun(wf, bob, t0, models.EnrollmentCompleted)
	logStep(e, bob, "ab", "split", t0, map[string]any{"branch": "B"})
	var st StatsAnswer
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/stats", nil).expect(http.StatusOK).decode(&st)
	if want := (StepStatsAnswer{Executed: 2, Branches: map[string]int64{"A": 1, "B": 1},
		BranchGoals: map[string]int64{"A": 1, "B": 0}}); !reflect.DeepEqual(st.Steps["ab"], want) {
		t.Errorf("steps[ab] = %+v, want %+v", st.Steps["ab"], want)
	}
	if st.GoalReached != 1 {
		t.Errorf("goal_reached = %d, want 1", st.GoalReached)
	}
	if st.Steps["s1"].Branches != nil || st.Steps["s1"].BranchGoals != nil {
		t.Errorf("steps[s1] has branches: %+v", st.Steps["s1"])
	}
}

func TestHistoryRefusesBadFiltersAndOtherAccounts(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Welcome")
	contact := str(v.createContact(map[string]any{"first_name": "Ada"})["id"])
	for query, param := range map[string]string{
		"logs?from=yesterday":                                    "from",
		"logs?to=2025-13-01T00:00:00Z":                           "to",
		"logs?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z": "to",
		"logs?status=done":                                       "status",
		"logs?limit=0":                                           "limit",
		"logs?cursor=abc":                                        "cursor",
		"logs?stepId=s1":                                         "stepId",
		"stats?from=2025-01-01":                                  "from",
	} {
		p := v.do(http.MethodGet, "/v1/workflows/"+wf+"/"+query, nil).problem(http.StatusBadRequest)
		wantPaths(t, p, param)
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/contacts/"+contact+"/timeline?cursor=x", nil).problem(http.StatusBadRequest), "cursor")
	for _, path := range []string{"/v1/workflows/" + wf + "/logs", "/v1/workflows/" + wf + "/stats", "/v1/contacts/" + contact + "/timeline"} {
		v.doAs(v.otherKey, http.MethodGet, path, nil).problem(http.StatusNotFound)
	}
	v.do(http.MethodGet, "/v1/workflows/"+models.NewID()+"/stats", nil).problem(http.StatusNotFound)
}

func TestContactTimelineShowsEventsAndSteps(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Welcome")
	ada := str(v.createContact(map[string]any{"first_name": "Ada"})["id"]) // raises contact_created now
	v.seedRun(wf, ada, time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC), models.EnrollmentCompleted, "s1", "s2")

	var page struct {
		Items      []TimelineEntryAnswer `json:"items"`
		NextCursor *string               `json:"next_cursor"`
	}
	var kinds []string
	path := "/v1/contacts/" + ada + "/timeline?limit=2"
	for {
		v.do(http.MethodGet, path, nil).expect(http.StatusOK).decode(&page)
		for _, it := range page.Items {
			switch it.Type {
			case "event":
				kinds = append(kinds, "event:"+it.Event.Type)
			case "step":
				kinds = append(kinds, "step:"+*it.WorkflowName+"/"+it.Step.StepID)
			}
		}
		if page.NextCursor == nil {
			break
		}
		path = "/v1/contacts/" + ada + "/timeline?limit=2&cursor=" + *page.NextCursor
	}
	if got, want := strings.Join(kinds, " "), "event:contact_created step:Welcome/s2 step:Welcome/s1"; got != want {
		t.Errorf("timeline = %s, want %s", got, want)
	}
}
