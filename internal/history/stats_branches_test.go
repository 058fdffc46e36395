package history

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// Version 1 had a split "old" that version 2, the current definition, no
// longer has; version 2 adds the if_else "check".
const (
	branchDefinitionV1 = `{"name":"AB","start":"ab","steps":[
 {"id":"ab","type":"split","config":{"paths":[{"name":"A","percent":50,"next":"s1"},{"name":"B","percent":30},{"name":"C","percent":20}]}},
 {"id":"old","type":"split","config":{"paths":[{"name":"X","percent":50},{"name":"Y","percent":50}]}},
 {"id":"s1","type":"send_sms","config":{"body":"hi"}}]}`
	branchDefinitionV2 = `{"name":"AB","start":"ab","steps":[
 {"id":"ab","type":"split","config":{"paths":[{"name":"A","percent":50,"next":"check"},{"name":"B","percent":30},{"name":"C","percent":20}]}},
 {"id":"check","type":"if_else","config":{"branches":[{"name":"Has email","when":{"all":[{"field":"contact.email","op":"is_not_empty"}]},"next":"s1"}]}},
 {"id":"s1","type":"send_sms","config":{"body":"hi"}}]}`
)

func TestStatsCountBranchesOfSplitsAndIfElse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wf := models.NewID()
	mustCreate(t, f.db, &models.Workflow{ID: wf, AccountID: f.acct, Name: "AB", Status: models.WorkflowPublished,
		Version: 2, Definition: []byte(branchDefinitionV2)})
	for v, def := range []string{branchDefinitionV1, branchDefinitionV2} {
		mustCreate(t, f.db, &models.WorkflowVersion{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, Version: v + 1,
			Definition: []byte(def), PublishedAt: f.t0})
	}
	// logStep writes one enrollment started on day with one step visit.
	logStep := func(day int, stepID, typ, status string, out map[string]any) {
		t.Helper()
		at := f.t0.Add(time.Duration(day) * 24 * time.Hour)
		e := models.Enrollment{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, ContactID: f.contacts[0],
			EntryKey: models.NewID(), Version: 2, Status: models.EnrollmentActive, StartedAt: at}
		mustCreate(t, f.db, &e)
		mustCreate(t, f.db, &models.StepExecution{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, EnrollmentID: e.ID,
			ContactID: e.ContactID, StepID: stepID, Visit: 1, StepType: typ, Status: status, Attempts: 1, StartedAt: at, Output: out})
	}
	branch := func(name string) map[string]any { return map[string]any{"branch": name} }
	logStep(0, "ab", "split", models.StepCompleted, branch("A"))
	logStep(0, "ab", "split", models.StepCompleted, branch("A"))
	logStep(1, "ab", "split", models.StepCompleted, branch("A"))
	logStep(0, "ab", "split", models.StepCompleted, branch("B"))
	logStep(1, "ab", "split", models.StepFailed, branch("B")) // not executed, so not counted
	logStep(0, "ab", "split", models.StepCompleted, nil)      // no branch logged: executed, in no branch
	logStep(0, "check", "if_else", models.StepCompleted, branch("Has email"))
	logStep(0, "check", "if_else", models.StepCompleted, branch("None"))
	logStep(1, "check", "if_else", models.StepCompleted, branch("None"))
	logStep(0, "old", "split", models.StepCompleted, branch("X"))
	// Other steps have no branches, whatever their output says.
	logStep(0, "s1", "send_sms", models.StepCompleted, branch("A"))

	st, err := f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int64{
		"ab":    {"A": 3, "B": 1, "C": 0},
		"check": {"Has email": 1, "None": 2},
		"old":   {"X": 1},
	}
	if !reflect.DeepEqual(st.Branches, want) {
		t.Errorf("branches = %v, want %v", st.Branches, want)
	}
	// Without goal steps no branch converts, each listed at 0.
	want = map[string]map[string]int64{
		"ab":    {"A": 0, "B": 0, "C": 0},
		"check": {"Has email": 0, "None": 0},
		"old":   {"X": 0},
	}
	if !reflect.DeepEqual(st.BranchGoals, want) {
		t.Errorf("branch goals = %v, want %v", st.BranchGoals, want)
	}
	if got := *st.Steps["ab"]; got != (StepStats{Executed: 5, Failed: 1}) {
		t.Errorf("steps[ab] = %+v", got)
	}
	if got := *st.Steps["s1"]; got != (StepStats{Executed: 1}) {
		t.Errorf("steps[s1] = %+v", got)
	}

	// A range counts the visits that started in it; the current steps'
	// branches stay listed at 0, a former step without visits is gone.
	from, to := f.t0.Add(24*time.Hour), f.t0.Add(48*time.Hour)
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf, From: &from, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]map[string]int64{
		"ab":    {"A": 1, "B": 0, "C": 0},
		"check": {"Has email": 0, "None": 1},
	}
	if !reflect.DeepEqual(st.Branches, want) {
		t.Errorf("ranged branches = %v, want %v", st.Branches, want)
	}
	to = f.t0.Add(24 * time.Hour)
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Branches["ab"]; !reflect.DeepEqual(got, map[string]int64{"A": 2, "B": 1, "C": 0}) {
		t.Errorf("branches[ab] before day 1 = %v", got)
	}

	// The fixture's workflow has neither split nor if_else.
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: f.wf})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Branches) != 0 {
		t.Errorf("branches of a workflow without splits = %v", st.Branches)
	}
}

const branchGoalDefinition = `{"name":"AB goal","start":"ab","steps":[
 {"id":"ab","type":"split","config":{"paths":[{"name":"A","percent":50,"next":"won"},{"name":"B","percent":30,"next":"won"},{"name":"C","percent":20}]}},
 {"id":"won","type":"goal","config":{"when":{"all":[{"field":"contact.tags","op":"contains","value":"buyer"}]}}}]}`

func TestStatsCountBranchGoals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wf := models.NewID()
	mustCreate(t, f.db, &models.Workflow{ID: wf, AccountID: f.acct, Name: "AB goal", Status: models.WorkflowPublished,
		Version: 1, Definition: []byte(branchGoalDefinition)})
	mustCreate(t, f.db, &models.WorkflowVersion{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, Version: 1,
		Definition: []byte(branchGoalDefinition), PublishedAt: f.t0})
	type visit struct {
		day          int
		step, status string
		branch       string
	}
	// enroll writes an enrollment started on day 0 with its visits in order.
	enroll := func(visits ...visit) {
		t.Helper()
		e := models.Enrollment{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, ContactID: f.contacts[0],
			EntryKey: models.NewID(), Version: 1, Status: models.EnrollmentActive, StartedAt: f.t0}
		mustCreate(t, f.db, &e)
		seen := map[string]int{}
		for i, v := range visits {
			seen[v.step]++
			typ, out := "goal", map[string]any(nil)
			if v.step == "ab" {
				typ, out = "split", map[string]any{"branch": v.branch}
			}
			mustCreate(t, f.db, &models.StepExecution{ID: models.NewID(), AccountID: f.acct, WorkflowID: wf, EnrollmentID: e.ID,
				ContactID: e.ContactID, StepID: v.step, Visit: seen[v.step], StepType: typ, Status: v.status, Attempts: 1,
				StartedAt: f.t0.Add(time.Duration(v.day)*24*time.Hour + time.Duration(i)*time.Minute), Output: out})
		}
	}
	done := models.StepCompleted
	enroll(visit{0, "ab", done, "A"}, visit{0, "won", done, ""})                                          // A, converted
	enroll(visit{0, "ab", done, "A"})                                                                     // A, not converted
	enroll(visit{1, "ab", done, "B"}, visit{1, "won", done, ""})                                          // B, converted
	enroll(visit{0, "ab", done, "A"}, visit{1, "ab", done, "A"}, visit{1, "won", done, ""})               // A twice in a loop: once
	enroll(visit{1, "ab", done, "B"}, visit{1, "won", models.StepFailed, ""})                             // the goal visit failed
	enroll(visit{0, "ab", models.StepFailed, "A"}, visit{0, "won", done, ""})                             // the split visit failed
	enroll(visit{2, "ab", done, "A"}, visit{2, "ab", done, "B"}, visit{2, "won", done, ""})               // both paths, each converted
	enroll(visit{3, "ab", done, "B"}, visit{3, "won", models.StepWaiting, ""}, visit{4, "won", done, ""}) // converted later

	st, err := f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"A": 5, "B": 4, "C": 0}; !reflect.DeepEqual(st.Branches["ab"], want) {
		t.Errorf("branches = %v, want %v", st.Branches["ab"], want)
	}
	if want := map[string]int64{"A": 3, "B": 3, "C": 0}; !reflect.DeepEqual(st.BranchGoals["ab"], want) {
		t.Errorf("branch goals = %v, want %v", st.BranchGoals["ab"], want)
	}
	if st.GoalReached != 6 {
		t.Errorf("goal reached = %d, want 6", st.GoalReached)
	}
	if len(st.BranchGoals) != 1 {
		t.Errorf("branch goals of steps without branches: %v", st.BranchGoals)
	}

	// The range selects split visits by their start, whenever the
	// enrollment started or reached its goal.
	from, to := f.t0.Add(24*time.Hour), f.t0.Add(48*time.Hour)
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf, From: &from, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"A": 1, "B": 2, "C": 0}; !reflect.DeepEqual(st.Branches["ab"], want) {
		t.Errorf("ranged branches = %v, want %v", st.Branches["ab"], want)
	}
	if want := map[string]int64{"A": 1, "B": 1, "C": 0}; !reflect.DeepEqual(st.BranchGoals["ab"], want) {
		t.Errorf("ranged branch goals = %v, want %v", st.BranchGoals["ab"], want)
	}
	from = f.t0.Add(3 * 24 * time.Hour)
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: wf, From: &from})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"A": 0, "B": 1, "C": 0}; !reflect.DeepEqual(st.BranchGoals["ab"], want) {
		t.Errorf("branch goals from day 3 = %v, want %v", st.BranchGoals["ab"], want)
	}
}
