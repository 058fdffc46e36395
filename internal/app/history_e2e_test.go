package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/testdb"
)

// TestLogsStatsAndTimelineOfRealRuns runs a three-step workflow (SMS,
// webhook, tag) for three contacts on the embedded server, where the
// webhook answers 500 for one of them, and checks the log, the statistics
// and the timeline against what happened. The application database is the
// test database: SQLite, or PostgreSQL with CRMFLOW_TEST_DATABASE_URL.
func TestLogsStatsAndTimelineOfRealRuns(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Cy") {
			http.Error(w, "down for Cy", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(`{"ok": true}`))
	}))
	defer hook.Close()
	_, dsn := testdb.OpenDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config: config.Config{LogFormat: "text", TemporalNamespace: "default", WebhookAllowPrivate: true, DatabaseURL: dsn,
			LogRetention: "90d"},
		SweepInterval: time.Second})
	if err != nil {
		t.Fatalf("starting crmflow dev: %v", err)
	}
	defer d.Stop()

	var wf idOnly
	call(t, d, "POST", "/v1/workflows", map[string]any{
		"name": "Onboarding", "triggers": []any{}, "start": "s1",
		"steps": []any{
			map[string]any{"id": "s1", "type": "send_sms", "name": "Hello", "config": map[string]any{"body": "Hi {{contact.first_name}}"}, "next": "s2"},
			map[string]any{"id": "s2", "type": "webhook", "name": "Tell CRM", "config": map[string]any{"url": hook.URL + "/hook/{{contact.first_name}}"},
				"retry": map[string]any{"max_attempts": 1}, "next": "s3"},
			map[string]any{"id": "s3", "type": "add_tag", "name": "Done", "config": map[string]any{"tags": []any{"onboarded"}}},
		},
	}, &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != http.StatusOK {
		t.Fatalf("publish: %d", code)
	}
	contacts := map[string]string{}
	enrollments := map[string]string{}
	for i, name := range []string{"Ada", "Bob", "Cy"} {
		var c idOnly
		call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": name, "phone": fmt.Sprintf("+1415555012%d", i)}, &c)
		contacts[name] = c.ID
		var e idOnly
		if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": c.ID}, &e); code != http.StatusCreated {
			t.Fatalf("enrolling %s: %d", name, code)
		}
		enrollments[name] = e.ID
	}
	waitFor(t, d, enrollments["Ada"], "completed")
	waitFor(t, d, enrollments["Bob"], "completed")
	waitFor(t, d, enrollments["Cy"], "failed")
	// Ada answers the SMS: the reply is credited to the s1 message.
	var accepted map[string]any
	if code := call(t, d, "POST", "/v1/events", map[string]any{"id": "reply-1", "type": "customer_replied",
		"contact": map[string]any{"id": contacts["Ada"]}, "data": map[string]any{"channel": "sms", "body": "thanks"}}, &accepted); code != http.StatusAccepted {
		t.Fatalf("reply: %d %v", code, accepted)
	}

	// The log: 3 + 3 + 2 rows, newest first, in pages of 3.
	type logRow struct {
		ContactID, ContactName, StepID, StepName, StepType, Status, Error string
		StartedAt                                                         time.Time
	}
	var rows []logRow
	path := "/v1/workflows/" + wf.ID + "/logs?limit=3"
	for {
		var page struct {
			Items []struct {
				ContactID   string    `json:"contact_id"`
				ContactName string    `json:"contact_name"`
				StepID      string    `json:"step_id"`
				StepName    string    `json:"step_name"`
				StepType    string    `json:"step_type"`
				Status      string    `json:"status"`
				Error       string    `json:"error"`
				StartedAt   time.Time `json:"started_at"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if code := call(t, d, "GET", path, nil, &page); code != http.StatusOK {
			t.Fatalf("logs: %d", code)
		}
		for _, it := range page.Items {
			rows = append(rows, logRow{ContactID: it.ContactID, ContactName: it.ContactName, StepID: it.StepID, StepName: it.StepName,
				StepType: it.StepType, Status: it.Status, Error: it.Error, StartedAt: it.StartedAt})
		}
		if page.NextCursor == nil {
			break
		}
		path = "/v1/workflows/" + wf.ID + "/logs?limit=3&cursor=" + *page.NextCursor
	}
	if len(rows) != 8 {
		t.Fatalf("log has %d rows, want 8: %+v", len(rows), rows)
	}
	failedRows := 0
	for i, r := range rows {
		if i > 0 && r.StartedAt.After(rows[i-1].StartedAt) {
			t.Errorf("row %d (%s) is newer than the row before it", i, r.StartedAt)
		}
		if r.Status == "failed" {
			failedRows++
			if r.ContactName != "Cy" || r.StepID != "s2" || r.StepName != "Tell CRM" || r.StepType != "webhook" || !strings.Contains(r.Error, "500") {
				t.Errorf("failed row = %+v", r)
			}
		}
	}
	if failedRows != 1 {
		t.Errorf("%d failed rows, want 1", failedRows)
	}
	var failedOnly struct {
		Items []struct {
			ContactID string `json:"contact_id"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/logs?status=failed&step_id=s2", nil, &failedOnly)
	if len(failedOnly.Items) != 1 || failedOnly.Items[0].ContactID != contacts["Cy"] {
		t.Errorf("failed s2 rows = %+v", failedOnly)
	}

	// The statistics.
	var st struct {
		Enrolled, Active, Waiting, Completed, Exited, Failed int
		GoalReached                                          int `json:"goal_reached"`
		Steps                                                map[string]struct{ Executed, Skipped, Failed, Waiting, Running int }
		Messages                                             map[string]struct{ Sent, Delivered, Failed, Skipped, Opened, Clicked, Replied int }
		ByDay                                                []struct {
			Date                        string
			Enrolled, Completed, Failed int
		} `json:"by_day"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/stats", nil, &st)
	if got := fmt.Sprintf("%d/%d/%d/%d/%d/%d/%d", st.Enrolled, st.Active, st.Waiting, st.Completed, st.Exited, st.Failed, st.GoalReached); got != "3/0/0/2/0/1/0" {
		t.Errorf("enrolled/active/waiting/completed/exited/failed/goal = %s, want 3/0/0/2/0/1/0", got)
	}
	steps := fmt.Sprintf("%+v %+v %+v", st.Steps["s1"], st.Steps["s2"], st.Steps["s3"])
	if want := "{Executed:3 Skipped:0 Failed:0 Waiting:0 Running:0} {Executed:2 Skipped:0 Failed:1 Waiting:0 Running:0} {Executed:2 Skipped:0 Failed:0 Waiting:0 Running:0}"; steps != want {
		t.Errorf("steps = %s\nwant    %s", steps, want)
	}
	if m := fmt.Sprintf("%+v", st.Messages["s1"]); m != "{Sent:3 Delivered:0 Failed:0 Skipped:0 Opened:0 Clicked:0 Replied:1}" {
		t.Errorf("messages[s1] = %s", m)
	}
	today := time.Now().UTC().Format("2006-01-02")
	if len(st.ByDay) != 1 || st.ByDay[0].Date != today || st.ByDay[0].Enrolled != 3 || st.ByDay[0].Completed != 2 || st.ByDay[0].Failed != 1 {
		t.Errorf("by_day = %+v (today %s)", st.ByDay, today)
	}
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/stats?from="+tomorrow, nil, &st)
	if st.Enrolled != 0 || st.Steps["s1"].Executed != 0 {
		t.Errorf("stats from tomorrow = %+v", st)
	}

	// Cy's timeline: the contact_created event and the two steps, newest first.
	var tl struct {
		Items []struct {
			Type         string  `json:"type"`
			WorkflowName *string `json:"workflow_name"`
			Event        *struct {
				Type string `json:"type"`
			} `json:"event"`
			Step *struct {
				StepID string `json:"step_id"`
				Status string `json:"status"`
			} `json:"step"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/contacts/"+contacts["Cy"]+"/timeline", nil, &tl)
	var seen []string
	for _, it := range tl.Items {
		if it.Type == "step" {
			seen = append(seen, "step:"+*it.WorkflowName+"/"+it.Step.StepID+"/"+it.Step.Status)
		} else {
			seen = append(seen, "event:"+it.Event.Type)
		}
	}
	if got, want := strings.Join(seen, " "), "step:Onboarding/s2/failed step:Onboarding/s1/completed event:contact_created"; got != want {
		t.Errorf("timeline = %s\nwant       %s", got, want)
	}
}
