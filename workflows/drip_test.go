package workflows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// The enrollment side of a drip: the run joins the step's coordinator
// (the activity is mocked here; the coordinator has its own tests) and
// waits, logged as waiting, until a release signal with its key comes.
func TestDripStepWaitsForItsReleaseThenGoesOn(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Flo")})
	wf, e := f.publish(`{"name": "drip", "triggers": [],
		"settings": {"timezone": "America/New_York", "time_window": {"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}},
		"start": "d", "steps": [
		{"id": "d", "type": "drip", "config": {"batch_size": 1, "interval": "1h"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["dripped"]}}
	]}`)
	env := f.env()
	var mu sync.Mutex
	var joins []workflows.JoinDripInput
	env.OnActivity(workflows.ActivityJoinDrip, mock.Anything, mock.Anything).Return(func(_ context.Context, in workflows.JoinDripInput) error {
		mu.Lock()
		defer mu.Unlock()
		joins = append(joins, in)
		return nil
	})
	key := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(joins) == 0 {
			return ""
		}
		return joins[0].Join.Member.Key
	}
	env.RegisterDelayedCallback(func() {
		got := f.enrollment(e.ID)
		if got.Status != models.EnrollmentWaiting || got.CurrentStep != "d" {
			t.Errorf("before the release: enrollment %s at %s, want waiting at d", got.Status, got.CurrentStep)
		}
		rows := f.log(e.ID)
		if len(rows) != 1 || rows[0].StepID != "d" || rows[0].Status != models.StepWaiting || rows[0].Output["waiting_for"] == nil {
			t.Errorf("before the release: log %+v, want the drip step waiting", rows)
		}
		env.SignalWorkflow(workflows.SignalRelease, "someone else's key")
	}, 3*time.Hour)
	env.RegisterDelayedCallback(func() {
		if got := f.enrollment(e.ID); got.Status != models.EnrollmentWaiting {
			t.Errorf("another key released the run: %s", got.Status)
		}
		env.SignalWorkflow(workflows.SignalRelease, key())
	}, 5*time.Hour)
	start := env.Now()
	f.run(env, e, nil)

	if waited := env.Now().Sub(start); waited < 5*time.Hour {
		t.Errorf("the run ended after %v, before its release", waited)
	}
	if len(joins) != 1 {
		t.Fatalf("joined %d times, want once", len(joins))
	}
	in := joins[0]
	m, cfg := in.Join.Member, in.Join.Config
	if in.WorkflowID != wf.ID || in.StepID != "d" || in.AccountID != f.account.ID || m.EnrollmentID != e.ID || m.Key == "" || m.RunWorkflowID == "" {
		t.Errorf("join = %+v", in)
	}
	if cfg.BatchSize != 1 || cfg.Interval != time.Hour || cfg.TimeWindow == nil || cfg.TimeWindow.Start != "09:00" || cfg.Zone != "America/New_York" {
		t.Errorf("join config = %+v, want batch 1 every 1h in the workflow's window and zone", cfg)
	}
	if got := f.enrollment(e.ID); got.Status != models.EnrollmentCompleted {
		t.Errorf("enrollment = %s, want completed", got.Status)
	}
	var steps []string
	for _, r := range f.log(e.ID) {
		steps = append(steps, r.StepID+":"+r.Status)
		if r.StepID == "d" && r.Output["released"] != true {
			t.Errorf("drip step output %v, want released", r.Output)
		}
	}
	if strings.Join(steps, ",") != "d:"+models.StepCompleted+",t:"+models.StepCompleted {
		t.Errorf("execution log = %v", steps)
	}
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if strings.Join(c.TagNames(), ",") != "dripped" {
		t.Errorf("tags = %v", c.TagNames())
	}
}
