package devserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/dynamicconfig"
)

// Generous bounds: they only cap how long a broken test hangs; passing runs
// finish far sooner. Nothing here asserts speed.
const (
	startTimeout = 2 * time.Minute
	waitTimeout  = time.Minute
)

var contactID = temporal.NewSearchAttributeKeyKeyword("CrmContactId")

func testSearchAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{"CrmContactId": enums.INDEXED_VALUE_TYPE_KEYWORD}
}

func greetWorkflow(_ workflow.Context, name string) (string, error) {
	return "hello " + name, nil
}

// sleepWorkflow waits on a durable timer, so a restart in the middle must
// keep the timer.
func sleepWorkflow(ctx workflow.Context) (string, error) {
	if err := workflow.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	return "woke", nil
}

func TestEphemeralRunsWorkflowAndFindsItBySearchAttribute(t *testing.T) {
	ctx := testContext(t, startTimeout)
	began := time.Now()
	srv, err := Start(ctx, Options{
		Ephemeral:        true,
		SearchAttributes: testSearchAttributes(),
		Logger:           testLogger(t),
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start (ephemeral, with UI) took %v", time.Since(began))
	stopOnCleanup(t, srv)

	if srv.Namespace() != DefaultNamespace {
		t.Errorf("Namespace() = %q, want %q", srv.Namespace(), DefaultNamespace)
	}
	if !strings.HasPrefix(srv.FrontendHostPort(), "127.0.0.1:") {
		t.Errorf("FrontendHostPort() = %q, want 127.0.0.1:<port>", srv.FrontendHostPort())
	}

	// The UI serves its health route and its embedded index page.
	if srv.UIURL() == "" {
		t.Fatal("UIURL() is empty, want the UI's URL")
	}
	for _, path := range []string{"/healthz", "/"} {
		resp, err := http.Get(srv.UIURL() + path)
		if err != nil {
			t.Fatalf("GET %s%s: %v", srv.UIURL(), path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, resp.StatusCode)
		}
		if path == "/" && !strings.Contains(strings.ToLower(string(body)), "<html") {
			t.Errorf("GET /: body does not look like the UI's HTML page: %.200q", body)
		}
	}

	c := dialClient(t, srv)
	runWorker(t, c, "devserver-test", func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(greetWorkflow, workflow.RegisterOptions{Name: "greet"})
	})

	began = time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    "greet-c1",
		TaskQueue:             "devserver-test",
		TypedSearchAttributes: temporal.NewSearchAttributes(contactID.ValueSet("c1")),
	}, "greet", "c1")
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello c1" {
		t.Fatalf("workflow returned %q, want %q", got, "hello c1")
	}
	t.Logf("first workflow ran in %v", time.Since(began))

	// Visibility is eventually consistent: poll until the run shows up.
	waitFor(t, waitTimeout, "workflow listed by CrmContactId", func() (bool, error) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: srv.Namespace(),
			Query:     `CrmContactId="c1"`,
		})
		if err != nil {
			return false, err
		}
		for _, e := range resp.GetExecutions() {
			if e.GetExecution().GetWorkflowId() == "greet-c1" {
				return true, nil
			}
		}
		return false, nil
	})

	// The filter really filters.
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: srv.Namespace(),
		Query:     `CrmContactId="someone-else"`,
	})
	if err != nil {
		t.Fatalf("ListWorkflow: %v", err)
	}
	if n := len(resp.GetExecutions()); n != 0 {
		t.Errorf("query for another contact found %d runs, want 0", n)
	}
}

func TestStartFailsOnTakenPort(t *testing.T) {
	ctx := testContext(t, startTimeout)

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	port := taken.Addr().(*net.TCPAddr).Port

	err = CheckPortFree("127.0.0.1", port)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("CheckPortFree on a taken port = %v, want an error naming 127.0.0.1 and %d", err, port)
	}

	base := freeBasePort(t)
	cases := []struct {
		name        string
		opts        Options
		wantPort    int
		wantPurpose string
	}{
		{"frontend", Options{Ephemeral: true, Port: port, UIPort: -1}, port, "frontend"},
		{"ui", Options{Ephemeral: true, UIPort: port}, port, "ui"},
		// Taking base+1 makes the derived history port of frontend port base busy.
		{"derived history", Options{Ephemeral: true, Port: base, UIPort: -1}, base + historyPortOffset, "history"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantPort != port {
				l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.wantPort)))
				if err != nil {
					t.Skipf("could not take port %d for the test: %v", tc.wantPort, err)
				}
				defer func() { _ = l.Close() }()
			}
			srv, err := Start(ctx, tc.opts)
			if err == nil {
				_ = srv.Stop()
				t.Fatalf("Start succeeded with port %d taken", tc.wantPort)
			}
			t.Logf("error: %v", err)
			var pe *PortError
			if !errors.As(err, &pe) {
				t.Fatalf("Start error %v is not a *PortError", err)
			}
			if pe.Port != tc.wantPort || pe.Purpose != tc.wantPurpose {
				t.Errorf("PortError names %s port %d, want %s port %d", pe.Purpose, pe.Port, tc.wantPurpose, tc.wantPort)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.wantPort)) {
				t.Errorf("error %q does not name port %d", err, tc.wantPort)
			}
		})
	}
	// Nothing was started by the failed attempts: the frontend port of the
	// derived case is free again.
	if err := CheckPortFree("127.0.0.1", base); err != nil {
		t.Errorf("after failed starts: %v", err)
	}
}

func TestRestartKeepsWaitingWorkflow(t *testing.T) {
	ctx := testContext(t, 2*startTimeout)
	opts := Options{
		DataDir:          t.TempDir(),
		Port:             freeBasePort(t),
		UIPort:           -1,
		SearchAttributes: testSearchAttributes(),
		Logger:           testLogger(t),
	}

	began := time.Now()
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	t.Logf("Start (new data folder, no UI) took %v", time.Since(began))
	if srv.UIURL() != "" {
		t.Errorf("UIURL() = %q with UIPort -1, want empty", srv.UIURL())
	}
	startSleeper(ctx, t, srv, "sleeper")
	began = time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(began))
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, DatabaseFile)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	// Stop released every port.
	if _, err := resolvePorts("127.0.0.1", opts.Port, -1); err != nil {
		t.Fatalf("after Stop: %v", err)
	}

	// The restart also asks for a search attribute the database lacks.
	opts.SearchAttributes["CrmAccountId"] = enums.INDEXED_VALUE_TYPE_KEYWORD
	began = time.Now()
	srv, err = Start(ctx, opts)
	if err != nil {
		t.Fatalf("second Start on the same data folder: %v", err)
	}
	t.Logf("Start (existing data folder, no UI) took %v", time.Since(began))
	stopOnCleanup(t, srv)
	finishSleeper(ctx, t, srv, "sleeper")

	c := dialClient(t, srv)
	for _, q := range []string{`CrmContactId="c-sleep"`, `CrmAccountId="a1"`} {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: srv.Namespace(), Query: q})
		if err != nil {
			t.Errorf("ListWorkflow %s after restart: %v", q, err)
			continue
		}
		t.Logf("%s: %d runs", q, len(resp.GetExecutions()))
	}
}

// TestRestartInNewProcessKeepsWaitingWorkflow is the `crmflow dev` restart:
// a child process starts the workflow and stops its server, then this
// process opens the same data folder. (In one process the SQLite plugin
// keeps its connection open across restarts, so only a new process proves
// the state is on disk.)
func TestRestartInNewProcessKeepsWaitingWorkflow(t *testing.T) {
	if dir := os.Getenv("CRMFLOW_DEVSERVER_CHILD_DIR"); dir != "" {
		// Child: phase one only.
		port, _ := strconv.Atoi(os.Getenv("CRMFLOW_DEVSERVER_CHILD_PORT"))
		ctx := testContext(t, startTimeout)
		srv, err := Start(ctx, Options{DataDir: dir, Port: port, UIPort: -1,
			SearchAttributes: testSearchAttributes(), Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("child Start: %v", err)
		}
		startSleeper(ctx, t, srv, "sleeper-xproc")
		if err := srv.Stop(); err != nil {
			t.Fatalf("child Stop: %v", err)
		}
		return
	}

	ctx := testContext(t, 2*startTimeout)
	dir := t.TempDir()
	port := freeBasePort(t)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRestartInNewProcessKeepsWaitingWorkflow$", "-test.v")
	cmd.Env = append(os.Environ(),
		"CRMFLOW_DEVSERVER_CHILD_DIR="+dir,
		"CRMFLOW_DEVSERVER_CHILD_PORT="+strconv.Itoa(port))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}

	srv, err := Start(ctx, Options{DataDir: dir, Port: port, UIPort: -1,
		SearchAttributes: testSearchAttributes(), Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start on the child's data folder: %v", err)
	}
	stopOnCleanup(t, srv)
	finishSleeper(ctx, t, srv, "sleeper-xproc")
}

// startSleeper starts sleepWorkflow and returns once its timer is recorded
// (the worker has run the first workflow task), with worker and client
// stopped so the server can be stopped.
func startSleeper(ctx context.Context, t *testing.T, srv *Server, id string) {
	t.Helper()
	c := dialClient(t, srv)
	defer c.Close()
	w := worker.New(c, "sleepers", worker.Options{})
	w.RegisterWorkflowWithOptions(sleepWorkflow, workflow.RegisterOptions{Name: "sleep"})
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	defer w.Stop()

	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             "sleepers",
		TypedSearchAttributes: temporal.NewSearchAttributes(contactID.ValueSet("c-sleep")),
	}, "sleep"); err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	waitFor(t, waitTimeout, "timer started", func() (bool, error) {
		it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return false, err
			}
			if e.GetEventType() == enums.EVENT_TYPE_TIMER_STARTED {
				return true, nil
			}
		}
		return false, nil
	})
}

// finishSleeper connects a new worker and waits for the workflow to finish.
func finishSleeper(ctx context.Context, t *testing.T, srv *Server, id string) {
	t.Helper()
	c := dialClient(t, srv)
	runWorker(t, c, "sleepers", func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(sleepWorkflow, workflow.RegisterOptions{Name: "sleep"})
	})
	getCtx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	var got string
	if err := c.GetWorkflow(getCtx, id, "").Get(getCtx, &got); err != nil {
		t.Fatalf("workflow %s after restart: %v", id, err)
	}
	if got != "woke" {
		t.Fatalf("workflow returned %q, want %q", got, "woke")
	}
}

// freeBasePort returns a frontend port whose derived ports are free too.
func freeBasePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		port, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := resolvePorts("127.0.0.1", port, -1); err == nil {
			return port
		}
	}
	t.Fatal("found no free frontend port with free derived ports")
	return 0
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func stopOnCleanup(t *testing.T, srv *Server) {
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

func dialClient(t *testing.T, srv *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendHostPort(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger(t)),
	})
	if err != nil {
		t.Fatalf("client.Dial %s: %v", srv.FrontendHostPort(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func runWorker(t *testing.T, c client.Client, taskQueue string, register func(worker.Worker)) {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	t.Cleanup(w.Stop) // runs before the client's Close and the server's Stop (LIFO)
}

func waitFor(t *testing.T, timeout time.Duration, what string, check func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := check()
		if ok {
			return
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s (last error: %v)", timeout, what, lastErr)
}

// testLogger sends warnings and errors to the test log, and drops records
// that arrive after the test ended (server goroutines may still be winding
// down; t.Log would panic then).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// The forced search-attribute read is off (it made every GetVersion cost a
// database query) unless Start just added attributes to an existing folder.
func TestSearchAttributeReadIsForcedOnlyAfterAnAddition(t *testing.T) {
	c := &devConfig{static: dynamicConfig()}
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	if v := c.GetValue(key); len(v) != 1 || v[0].Value != false {
		t.Fatalf("forced read by default: %v", v)
	}
	c.refreshSearchAttributesForAWhile()
	if v := c.GetValue(key); len(v) != 1 || v[0].Value != true {
		t.Fatalf("forced read after an addition: %v", v)
	}
	if got := c.GetValue(dynamicconfig.TimerProcessorMaxTimeShift.Key()); len(got) != 1 {
		t.Errorf("static settings are not served: %v", got)
	}
}
