package app

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// migrateView is the answer of POST /v1/workflows/{id}/migrate.
type migrateView struct {
	ToVersion int `json:"to_version"`
	Migrated  []struct {
		EnrollmentID string `json:"enrollment_id"`
		FromVersion  int    `json:"from_version"`
		ToVersion    int    `json:"to_version"`
		StepID       string `json:"step_id"`
	} `json:"migrated"`
	NotMigrated []struct {
		EnrollmentID string `json:"enrollment_id"`
		Version      int    `json:"version"`
		StepID       string `json:"step_id"`
		Reason       string `json:"reason"`
	} `json:"not_migrated"`
	Remaining int `json:"remaining"`
}

type versionedEnrollment struct {
	Version     int    `json:"version"`
	Status      string `json:"status"`
	CurrentStep string `json:"current_step"`
	Steps       []struct {
		StepID     string     `json:"step_id"`
		Status     string     `json:"status"`
		StartedAt  time.Time  `json:"started_at"`
		FinishedAt *time.Time `json:"finished_at"`
	} `json:"steps"`
}

// TestMigrateMovesWaitingEnrollmentsWhoseStepSurvives: contacts wait on
// version 1; version 2 keeps the short wait s1 (then tags "v2") and drops
// the long wait s0. Migrating moves the one named at s1, which then ends
// its wait on time and takes version 2's path; the one at s0 is refused
// with the reason and stays on version 1; the one not named keeps its
// version 1 path.
func TestMigrateMovesWaitingEnrollmentsWhoseStepSurvives(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	const wait = 6 * time.Second
	var wf struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "nurture", "triggers": [], "start": "c", "steps": [
		{"id": "c", "type": "if_else", "config": {"branches": [{"name": "slow", "when": {"field": "contact.tags", "op": "has_tag", "value": "slow"}, "next": "s0"}], "else": "s1"}},
		{"id": "s0", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "s2"},
		{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "6s"}, "next": "s2"},
		{"id": "s2", "type": "add_tag", "config": {"tags": ["v1"]}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, &wf); code != http.StatusOK || wf.Version != 1 {
		t.Fatalf("publish v1: %d %+v", code, wf)
	}
	enroll := func(body map[string]any) (contact, enrollment string) {
		var c, e struct {
			ID string `json:"id"`
		}
		call(t, d, "POST", "/v1/contacts", body, &c)
		if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": c.ID}, &e); code != http.StatusCreated {
			t.Fatalf("enroll: %d", code)
		}
		return c.ID, e.ID
	}
	adaContact, ada := enroll(map[string]any{"first_name": "Ada"})
	boContact, bo := enroll(map[string]any{"first_name": "Bo"})
	cyContact, cy := enroll(map[string]any{"first_name": "Cy", "tags": []string{"slow"}})
	for _, id := range []string{ada, bo, cy} {
		waitFor(t, d, id, "waiting")
	}
	get := func(id string) versionedEnrollment {
		var e versionedEnrollment
		call(t, d, "GET", "/v1/enrollments/"+id, nil, &e)
		return e
	}
	step := func(e versionedEnrollment, id string) (started time.Time, finished *time.Time) {
		for _, s := range e.Steps {
			if s.StepID == id {
				return s.StartedAt, s.FinishedAt
			}
		}
		t.Fatalf("no step %s in %+v", id, e.Steps)
		return
	}
	adaWaitStarted, _ := step(get(ada), "s1")

	if code := call(t, d, "PUT", "/v1/workflows/"+wf.ID, json.RawMessage(`{"name": "nurture", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "6s"}, "next": "s3"},
		{"id": "s3", "type": "add_tag", "config": {"tags": ["v2"]}}]}`), nil); code != http.StatusOK {
		t.Fatalf("saving v2: %d", code)
	}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, &wf); code != http.StatusOK || wf.Version != 2 {
		t.Fatalf("publish v2: %d %+v", code, wf)
	}
	// Move well into Ada's wait: had the wait restarted, it would end late.
	time.Sleep(time.Until(adaWaitStarted.Add(2 * time.Second)))

	var rep migrateView
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/migrate", map[string]any{"enrollment_ids": []string{ada, cy}}, &rep); code != http.StatusOK {
		t.Fatalf("migrate: %d %+v", code, rep)
	}
	if rep.ToVersion != 2 || rep.Remaining != 0 || len(rep.Migrated) != 1 || len(rep.NotMigrated) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if m := rep.Migrated[0]; m.EnrollmentID != ada || m.FromVersion != 1 || m.ToVersion != 2 || m.StepID != "s1" {
		t.Errorf("migrated = %+v", m)
	}
	const refusal = `step "s0", where the contact waits, does not exist in version 2`
	if n := rep.NotMigrated[0]; n.EnrollmentID != cy || n.Version != 1 || n.StepID != "s0" || n.Reason != refusal {
		t.Errorf("not migrated = %+v, want Cy refused with %q", n, refusal)
	}
	if e := get(ada); e.Version != 2 || e.Status != "waiting" {
		t.Errorf("Ada after the move: v%d %s", e.Version, e.Status)
	}
	if e := get(bo); e.Version != 1 {
		t.Errorf("Bo, not named, moved to v%d", e.Version)
	}

	tags := func(contact string) []string {
		var c struct {
			Tags []string `json:"tags"`
		}
		call(t, d, "GET", "/v1/contacts/"+contact, nil, &c)
		return c.Tags
	}
	waitFor(t, d, ada, "completed")
	waitFor(t, d, bo, "completed")
	a := get(ada)
	var walked []string
	for _, s := range a.Steps {
		walked = append(walked, s.StepID)
	}
	if strings.Join(walked, ",") != "c,s1,s3" || a.Version != 2 {
		t.Errorf("Ada walked %v on v%d, want c,s1,s3 on v2", walked, a.Version)
	}
	if started, finished := step(a, "s1"); finished == nil || finished.Sub(started) < wait || finished.Sub(started) > wait+1500*time.Millisecond {
		t.Errorf("Ada's wait lasted %v (from %v); it must end %v after it began, not after the move", finished.Sub(started), started, wait)
	}
	if got := tags(adaContact); !slices.Contains(got, "v2") || slices.Contains(got, "v1") {
		t.Errorf("Ada's tags = %v, want v2 and not v1", got)
	}
	if got := tags(boContact); !slices.Contains(got, "v1") || slices.Contains(got, "v2") {
		t.Errorf("Bo's tags = %v, want version 1's v1", got)
	}

	// Cy still waits at s0 on version 1; asking again (everyone) is refused
	// the same way, and the ones already on version 2 or ended are not asked.
	if c := get(cy); c.Version != 1 || c.Status != "waiting" || c.CurrentStep != "s0" {
		t.Errorf("Cy = v%d %s at %s, want waiting at s0 on v1", c.Version, c.Status, c.CurrentStep)
	}
	rep = migrateView{}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/migrate", nil, &rep); code != http.StatusOK {
		t.Fatalf("migrate everyone: %d", code)
	}
	if len(rep.Migrated) != 0 || len(rep.NotMigrated) != 1 || rep.NotMigrated[0].EnrollmentID != cy || rep.NotMigrated[0].Reason != refusal {
		t.Errorf("second migration = %+v", rep)
	}
	if got := tags(cyContact); slices.Contains(got, "v1") || slices.Contains(got, "v2") {
		t.Errorf("Cy's tags = %v; Cy is still waiting", got)
	}
}
