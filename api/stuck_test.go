package api

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// putAt moves an enrollment to a step whose log row says it waits or runs
// as given, the way the activities write it.
func (v *testEnv) putAt(id string, row models.StepExecution) {
	v.t.Helper()
	var e models.Enrollment
	if err := v.db.Where("id = ?", id).First(&e).Error; err != nil {
		v.t.Fatal(err)
	}
	status := models.EnrollmentWaiting
	if row.Status == models.StepRunning {
		status = models.EnrollmentActive
	}
	if err := v.db.Model(&e).Updates(map[string]any{"status": status, "current_step": row.StepID}).Error; err != nil {
		v.t.Fatal(err)
	}
	row.ID, row.AccountID, row.WorkflowID, row.EnrollmentID, row.ContactID = models.NewID(), e.AccountID, e.WorkflowID, e.ID, e.ContactID
	row.Visit, row.StartedAt = 1, row.StartedAt.UTC()
	if err := v.db.Create(&row).Error; err != nil {
		v.t.Fatal(err)
	}
}

func TestListStuckEnrollments(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Nurture")
	enroll := func(key, wf, name string) (string, string) {
		ct := v.createContactAs(key, map[string]any{"first_name": name})["id"].(string)
		e := v.doAs(key, http.MethodPost, "/v1/workflows/"+wf+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
		return e["id"].(string), ct
	}
	now := time.Now().UTC()
	ago := func(d time.Duration) time.Time { return now.Add(-d).Truncate(time.Second) }
	const day = 24 * time.Hour

	forever, _ := enroll(v.key, wf, "Ada")
	v.putAt(forever, models.StepExecution{StepID: "w", StepType: "wait", Status: models.StepWaiting, StartedAt: ago(8 * day),
		Output: map[string]any{"waiting_for": "an event: customer_replied"}})
	retrying, bob := enroll(v.key, wf, "Bob")
	v.putAt(retrying, models.StepExecution{StepID: "s1", StepType: "webhook", Status: models.StepRunning, Attempts: 3,
		StartedAt: ago(2 * time.Hour), Error: "webhook answered 500"})
	later, _ := enroll(v.key, wf, "Cy")
	v.putAt(later, models.StepExecution{StepID: "w", StepType: "wait", Status: models.StepWaiting, StartedAt: ago(10 * day),
		Output: map[string]any{"until": now.Add(day).Format(time.RFC3339)}})
	recent, _ := enroll(v.key, wf, "Di")
	v.putAt(recent, models.StepExecution{StepID: "w", StepType: "wait", Status: models.StepWaiting, StartedAt: ago(2 * day)})
	// Another account's stuck enrollment, in its own workflow.
	otherWF := v.publishedWorkflowAs(v.otherKey, "Theirs")
	theirs, _ := enroll(v.otherKey, otherWF, "Eve")
	v.putAt(theirs, models.StepExecution{StepID: "w", StepType: "wait", Status: models.StepWaiting, StartedAt: ago(30 * day)})

	base := "/v1/workflows/" + wf + "/enrollments"
	list := func(q string) List[StuckEnrollmentAnswer] {
		t.Helper()
		var l List[StuckEnrollmentAnswer]
		v.do(http.MethodGet, base+q, nil).expect(http.StatusOK).decode(&l)
		return l
	}
	ids := func(l List[StuckEnrollmentAnswer]) []string {
		out := []string{}
		for _, e := range l.Items {
			out = append(out, e.ID)
		}
		return out
	}

	got := list("?stuck=true")
	if want := []string{forever, retrying}; !reflect.DeepEqual(ids(got), want) || got.NextCursor != nil {
		t.Fatalf("stuck = %v (next %v), want %v", ids(got), got.NextCursor, want)
	}
	f, r := got.Items[0], got.Items[1]
	if f.Stuck.Kind != "no_deadline" || f.Stuck.StepID != "w" || !f.Stuck.Since.Equal(ago(8*day)) ||
		!strings.HasPrefix(f.Stuck.Reason, "waiting with no deadline for 8d") || !strings.Contains(f.Stuck.Reason, "customer_replied") ||
		f.Status != "waiting" || f.CurrentStep != "w" {
		t.Errorf("no deadline: %+v", f)
	}
	if r.Stuck.Kind != "running_long" || r.Stuck.StepID != "s1" || !strings.Contains(r.Stuck.Reason, "attempt 3") ||
		!strings.Contains(r.Stuck.Reason, "last error: webhook answered 500") {
		t.Errorf("running long: %+v", r)
	}

	// A shorter threshold, filters and pages.
	if got := ids(list("?stuck=true&stuck_after=1d")); !reflect.DeepEqual(got, []string{forever, retrying, recent}) {
		t.Errorf("stuck_after=1d: %v", got)
	}
	if got := ids(list("?stuck=true&contact_id=" + bob)); !reflect.DeepEqual(got, []string{retrying}) {
		t.Errorf("contact_id: %v", got)
	}
	if got := ids(list("?stuck=true&status=waiting")); !reflect.DeepEqual(got, []string{forever}) {
		t.Errorf("status=waiting: %v", got)
	}
	page := list("?stuck=true&limit=1")
	if !reflect.DeepEqual(ids(page), []string{forever}) || page.NextCursor == nil {
		t.Fatalf("page 1: %v next %v", ids(page), page.NextCursor)
	}
	page = list("?stuck=true&limit=1&cursor=" + *page.NextCursor)
	if !reflect.DeepEqual(ids(page), []string{retrying}) || page.NextCursor != nil {
		t.Fatalf("page 2: %v next %v", ids(page), page.NextCursor)
	}
	// Without stuck=true the list is as before, with no stuck field.
	all := v.do(http.MethodGet, base+"?stuck=false", nil).expect(http.StatusOK).obj()["items"].([]any)
	if len(all) != 4 || all[0].(map[string]any)["stuck"] != nil {
		t.Errorf("stuck=false: %v", all)
	}

	// Bad values name their parameter; another account's workflow is not found.
	for q, param := range map[string]string{"?stuck=yes": "stuck", "?stuck=true&stuck_after=soon": "stuck_after",
		"?stuck=true&stuck_after=0s": "stuck_after", "?stuck_after=3d": "stuck_after", "?stuck=true&stuck_after=1826d": "stuck_after"} {
		wantPaths(t, v.do(http.MethodGet, base+q, nil).problem(http.StatusBadRequest), param)
	}
	v.do(http.MethodGet, "/v1/workflows/"+otherWF+"/enrollments?stuck=true", nil).problem(http.StatusNotFound)
	var theirList List[StuckEnrollmentAnswer]
	v.doAs(v.otherKey, http.MethodGet, "/v1/workflows/"+otherWF+"/enrollments?stuck=true", nil).expect(http.StatusOK).decode(&theirList)
	if !reflect.DeepEqual(ids(theirList), []string{theirs}) {
		t.Errorf("their stuck: %v", ids(theirList))
	}
}
