// Package bench measures the interpreter against a hand-written Temporal
// workflow that makes the same activity calls, on one embedded server in one
// run: enrollments per second and history events per enrollment for both.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/devserver"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

// Options size a run.
type Options struct {
	Enrollments int // per side; default 200
	DatabaseURL string
	Log         *slog.Logger
}

// Side is the figures of one side.
type Side struct {
	Enrollments      int
	Elapsed          time.Duration
	PerSecond        float64
	EventsPerHistory int
}

// Report compares the two sides.
type Report struct {
	Interpreted, Handwritten Side
	// Ratio is interpreted / hand-written throughput (goal: at least 0.9).
	Ratio float64
}

func (r Report) String() string {
	return fmt.Sprintf("interpreted: %d enrollments in %v = %.1f/s, %d history events each\n"+
		"hand-written: %d enrollments in %v = %.1f/s, %d history events each\nratio (interpreted / hand-written): %.2f",
		r.Interpreted.Enrollments, r.Interpreted.Elapsed.Round(time.Millisecond), r.Interpreted.PerSecond, r.Interpreted.EventsPerHistory,
		r.Handwritten.Enrollments, r.Handwritten.Elapsed.Round(time.Millisecond), r.Handwritten.PerSecond, r.Handwritten.EventsPerHistory, r.Ratio)
}

// fiveSteps is the benchmarked workflow: five network steps, as many
// activities; a local webhook receiver answers the two webhooks.
const fiveSteps = `{"name": "bench", "triggers": [], "start": "a", "steps": [
	{"id": "a", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}"}, "next": "b"},
	{"id": "b", "type": "webhook", "config": {"url": "%[1]s/b"}, "next": "c"},
	{"id": "c", "type": "send_email", "config": {"subject": "Hello", "body": "<p>Hi {{contact.first_name}}</p>"}, "next": "d"},
	{"id": "d", "type": "webhook", "config": {"url": "%[1]s/d"}, "next": "e"},
	{"id": "e", "type": "send_sms", "config": {"body": "Bye {{contact.first_name}}"}}
]}`

const handwrittenName = "crmflow.BenchHandwritten"

// Handwritten is what a developer would write by hand for the same
// five steps: the same activity calls in sequence, nothing else.
func Handwritten(ctx workflow.Context, in workflows.Input, def definition.Definition) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	outputs := map[string]map[string]any{}
	for _, s := range def.Steps {
		var res workflows.StepResult
		si := workflows.StepInput{Run: in.RunRef, Step: s, Visit: 1, Settings: def.Settings,
			Outputs: outputs, StartedAt: workflow.Now(ctx)}
		if err := workflow.ExecuteActivity(ctx, workflows.ActivityExecuteStep, si).Get(ctx, &res); err != nil {
			return err
		}
		outputs[s.ID] = res.Output
	}
	return nil
}

// Run boots an ephemeral embedded server and measures both sides.
func Run(ctx context.Context, opts Options) (Report, error) {
	if opts.Enrollments <= 0 {
		opts.Enrollments = 200
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer hook.Close()
	rg, err := boot(ctx, opts.DatabaseURL, opts.Log, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(Handwritten, workflow.RegisterOptions{Name: handwrittenName})
	})
	if err != nil {
		return Report{}, err
	}
	defer rg.close()
	db, tc, cs, acct := rg.db, rg.tc, rg.contacts, rg.account
	wf, def, err := rg.publish(ctx, fmt.Sprintf(fiveSteps, hook.URL))
	if err != nil {
		return Report{}, err
	}
	// Warm up both paths (caches, connections, task queues) before timing.
	if _, _, err := side(ctx, tc, db, cs, acct.ID, wf, def, 10, false); err != nil {
		return Report{}, err
	}
	if _, _, err := side(ctx, tc, db, cs, acct.ID, wf, def, 10, true); err != nil {
		return Report{}, err
	}
	var r Report
	for _, hand := range []bool{false, true} {
		elapsed, events, err := side(ctx, tc, db, cs, acct.ID, wf, def, opts.Enrollments, hand)
		if err != nil {
			return Report{}, err
		}
		s := Side{Enrollments: opts.Enrollments, Elapsed: elapsed, PerSecond: float64(opts.Enrollments) / elapsed.Seconds(), EventsPerHistory: events}
		if hand {
			r.Handwritten = s
		} else {
			r.Interpreted = s
		}
	}
	r.Ratio = r.Interpreted.PerSecond / r.Handwritten.PerSecond
	return r, nil
}

// side runs n enrollments at once on one side and returns the wall time and
// the history length of one of them. Contacts and enrollment rows are
// written before the clock starts: both sides need them alike.
func side(ctx context.Context, tc client.Client, db *gorm.DB, cs *contacts.Service, accountID string,
	wf *models.Workflow, def *definition.Definition, n int, hand bool) (time.Duration, int, error) {
	inputs := make([]workflows.Input, n)
	for i := range inputs {
		c, err := cs.Create(ctx, accountID, contacts.Input{FirstName: ptr(fmt.Sprintf("C%d", i)),
			Email: ptr(fmt.Sprintf("c%d-%s@example.com", i, models.NewID()[24:])), Phone: ptr(fmt.Sprintf("+1415555%04d", i%10000))})
		if err != nil {
			return 0, 0, err
		}
		e := models.Enrollment{ID: models.NewID(), AccountID: accountID, WorkflowID: wf.ID, ContactID: c.ID, EntryKey: "1",
			EntryNo: 1, Version: wf.Version, Status: models.EnrollmentPending, StartedAt: time.Now().UTC()}
		if err := db.Create(&e).Error; err != nil {
			return 0, 0, err
		}
		inputs[i] = workflows.Input{RunRef: workflows.RunRef{AccountID: accountID, WorkflowID: wf.ID, Version: wf.Version, ContactID: c.ID, EnrollmentID: e.ID}}
	}
	start := time.Now()
	runs := make([]client.WorkflowRun, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			opts := client.StartWorkflowOptions{ID: "bench/" + inputs[i].EnrollmentID, TaskQueue: workflows.TaskQueue}
			var run client.WorkflowRun
			var err error
			if hand {
				run, err = tc.ExecuteWorkflow(ctx, opts, handwrittenName, inputs[i], *def)
			} else {
				run, err = tc.ExecuteWorkflow(ctx, opts, workflows.InterpretWorkflow, inputs[i])
			}
			if err == nil {
				err = run.Get(ctx, nil)
			}
			runs[i], errs[i] = run, err
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	events := 0
	it := tc.GetWorkflowHistory(ctx, runs[0].GetID(), runs[0].GetRunID(), false, 0)
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return 0, 0, err
		}
		events++
	}
	return elapsed, events, nil
}

func ptr[T any](v T) *T { return &v }

// rig is one embedded server with a worker, an application database and
// one account: what every benchmark here runs on.
type rig struct {
	srv      *devserver.Server
	db       *gorm.DB
	tc       client.Client
	w        worker.Worker
	contacts *contacts.Service
	account  models.Account
}

// boot starts a rig; register adds the benchmark's own workflows.
func boot(ctx context.Context, databaseURL string, log *slog.Logger, register func(worker.Worker)) (*rig, error) {
	if databaseURL == "" {
		databaseURL = ":memory:"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rg := &rig{}
	var err error
	rg.srv, err = devserver.Start(ctx, devserver.Options{Ephemeral: true, UIPort: -1, SearchAttributes: enrollment.SearchAttributeTypes, Logger: log})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*rig, error) {
		rg.close()
		return nil, err
	}
	if rg.db, err = models.Open(ctx, databaseURL); err != nil {
		return fail(err)
	}
	if err := models.Migrate(ctx, rg.db); err != nil {
		return fail(err)
	}
	rg.tc, err = client.DialContext(ctx, client.Options{HostPort: rg.srv.FrontendHostPort(), Namespace: rg.srv.Namespace(),
		Logger: sdklog.NewStructuredLogger(log)})
	if err != nil {
		return fail(err)
	}
	rg.contacts = &contacts.Service{DB: rg.db}
	acts := activities.New(activities.Options{DB: rg.db, Contacts: rg.contacts, AllowPrivate: true})
	rg.w = worker.New(rg.tc, workflows.TaskQueue, worker.Options{})
	rg.w.RegisterWorkflowWithOptions(workflows.Interpret, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	if register != nil {
		register(rg.w)
	}
	acts.Register(rg.w)
	if err := rg.w.Start(); err != nil {
		rg.w = nil
		return fail(err)
	}
	rg.account = models.Account{ID: models.NewID(), Name: "bench", Timezone: "UTC"}
	if err := rg.db.Create(&rg.account).Error; err != nil {
		return fail(err)
	}
	return rg, nil
}

func (rg *rig) close() {
	if rg.w != nil {
		rg.w.Stop()
	}
	if rg.tc != nil {
		rg.tc.Close()
	}
	rg.srv.Stop()
}

// publish saves and publishes a definition in the rig's account.
func (rg *rig) publish(ctx context.Context, def string) (*models.Workflow, *definition.Definition, error) {
	defs := &definitions.Service{DB: rg.db}
	wf, d, err := defs.Create(ctx, rg.account.ID, []byte(def))
	if err != nil {
		return nil, nil, err
	}
	if wf, err = defs.Publish(ctx, rg.account.ID, wf.ID); err != nil {
		return nil, nil, err
	}
	return wf, d, nil
}
