package testservers

import (
	"bufio"
	"bytes"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock that .ci/run installs.
const StripeMockVersion = "v0.203.0"

// StripeMock is stripe-mock, Stripe's official mock server, running on
// loopback for one test. It answers every Stripe endpoint with canned
// objects (validating the request's parameters against Stripe's OpenAPI
// spec), keeps no state and ignores Idempotency-Key.
type StripeMock struct {
	URL string
}

// NewStripeMock starts stripe-mock on free loopback ports (HTTP and HTTPS,
// so parallel test packages never collide) and stops it when the test ends.
// It fails the test when stripe-mock is not installed.
func NewStripeMock(t testing.TB) *StripeMock {
	t.Helper()
	bin := stripeMockBinary()
	if bin == "" {
		var err error
		if bin, err = buildStripeMock(); err != nil {
			t.Fatalf("stripe-mock is not installed and building it failed (go install github.com/stripe/stripe-mock@%s): %v", StripeMockVersion, err)
		}
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// It prints "Listening for HTTP at address: 127.0.0.1:PORT" once it serves.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		const prefix = "Listening for HTTP at address: "
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				addr <- strings.TrimSpace(a)
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("stripe-mock exited before listening")
		}
		return &StripeMock{URL: "http://" + a}
	case <-time.After(30 * time.Second):
		t.Fatal("stripe-mock did not start listening within 30s")
	}
	return nil
}

var (
	buildOnce  sync.Once
	builtPath  string
	builtError error
)

// buildStripeMock builds stripe-mock from this module's tool dependency
// (go.mod pins it), once per test process, so `go test ./...` needs nothing
// installed beforehand.
func buildStripeMock() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "crmflow-stripe-mock-")
		if err != nil {
			builtError = err
			return
		}
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			builtError = fmt.Errorf("finding the module: %w", err)
			return
		}
		p := filepath.Join(dir, "stripe-mock")
		cmd := exec.Command("go", "build", "-o", p, "github.com/stripe/stripe-mock")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := cmd.CombinedOutput(); err != nil {
			builtError = fmt.Errorf("%v: %s", err, out)
			return
		}
		builtPath = p
	})
	return builtPath, builtError
}

// stripeMockBinary finds stripe-mock on PATH, else where `go install` puts it.
func stripeMockBinary() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "stripe-mock"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// StripeRequest is one request that reached the Stripe proxy.
type StripeRequest struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values // the form-encoded body
}

// StripeProxy stands in front of a Stripe server (stripe-mock), recording
// every request with its Idempotency-Key, and can answer some itself, to
// play what stripe-mock cannot: declines, outages, rate limits.
type StripeProxy struct {
	URL string

	mu        sync.Mutex
	requests  []StripeRequest
	intercept func(StripeRequest) (status int, body string)
}

// NewStripeProxy starts a proxy to upstream (a stripe-mock URL).
func NewStripeProxy(t testing.TB, upstream string) *StripeProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &StripeProxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if r.Method == http.MethodGet {
			form = r.URL.Query()
		}
		req := StripeRequest{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form}
		p.mu.Lock()
		p.requests = append(p.requests, req)
		intercept := p.intercept
		p.mu.Unlock()
		if intercept != nil {
			if status, answer := intercept(req); status != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, answer)
				return
			}
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Intercept answers the requests for which f returns a status itself (0
// forwards the request upstream).
func (p *StripeProxy) Intercept(f func(StripeRequest) (status int, body string)) {
	p.mu.Lock()
	p.intercept = f
	p.mu.Unlock()
}

// Requests returns the requests so far, optionally only those of one method
// and path prefix (e.g. "POST", "/v1/payment_intents").
func (p *StripeProxy) Requests(method, pathPrefix string) []StripeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []StripeRequest
	for _, r := range p.requests {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// StripeCardDeclined is Stripe's answer to an off-session charge of a card
// with too little money on it (HTTP 402).
const StripeCardDeclined = `{"error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
  "message": "Your card has insufficient funds.", "charge": "ch_declined"}}`

// StripeAPIError is Stripe's answer when it is having trouble (HTTP 500).
const StripeAPIError = `{"error": {"type": "api_error", "message": "An unknown error occurred"}}`
