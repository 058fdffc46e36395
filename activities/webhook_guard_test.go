package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/steps"
)

// TestRedirectToAPrivateAddressIsRefused checks that the address check runs
// on every connection, including the one a redirect opens. Every loopback
// address is private, so the test narrows the check instead of widening
// it: the client may reach the first server's exact address (standing in
// for a public host) and applies the production rule to anything else, so
// the redirect to a second loopback server must be refused at connect time.
func TestRedirectToAPrivateAddressIsRefused(t *testing.T) {
	var reached atomic.Int32
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer inside.Close()
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/admin", http.StatusFound)
	}))
	defer outside.Close()
	allowed := outside.Listener.Addr().String()
	client := newWebhookClient(func(address string) error {
		if address == allowed {
			return nil
		}
		return publicOnly(address)
	})
	a := New(Options{HTTP: client})
	call := &steps.Call{IdempotencyKey: "enr/h/1"}
	for name, send := range map[string]func() error{
		"custom_webhook": func() error {
			_, err := a.SendHTTP(context.Background(), call, steps.HTTPRequest{Method: "GET", URL: outside.URL + "/start", Timeout: 5 * time.Second})
			return err
		},
		"webhook": func() error {
			_, err := a.PostJSON(context.Background(), call, outside.URL+"/start", map[string]any{})
			return err
		},
	} {
		err := send()
		var blocked *BlockedAddressError
		var hookErr *HTTPError
		if !errors.As(err, &blocked) || blocked.Addr != inside.Listener.Addr().String() {
			t.Errorf("%s: err = %v, want the redirect target %s refused", name, err, inside.Listener.Addr())
		}
		if !errors.As(err, &hookErr) || hookErr.Retryable {
			t.Errorf("%s: err = %#v, want a permanent webhook error", name, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the private server was reached %d times", n)
	}
	// The narrowed check itself lets the allowed server through.
	resp, err := client.Get(inside.URL)
	if err == nil {
		resp.Body.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("direct call to the private server: %v, want refused", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                               0,
		"120":                            2 * time.Minute,
		" 5 ":                            5 * time.Second,
		"0":                              0,
		"-3":                             0,
		"soon":                           0,
		"999999999999":                   time.Hour,
		"Sun, 01 Mar 2026 12:00:30 GMT":  30 * time.Second,
		"Sunday, 01-Mar-26 12:01:00 GMT": time.Minute, // RFC 850, still allowed by RFC 9110
		"Sun, 01 Mar 2026 11:00:00 GMT":  0,           // already past
		"Mon, 02 Mar 2026 12:00:00 GMT":  time.Hour,   // capped
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestRedactorHidesEveryEncoding(t *testing.T) {
	r := &redactor{}
	r.add("a b/c+d")
	r.add("  ")
	for _, s := range []string{"x a b/c+d y", "?k=a+b%2Fc%2Bd", "/a%20b%2Fc+d"} {
		if got := r.string(s); strings.Contains(got, "b/c") || strings.Contains(got, "b%2Fc") || !strings.Contains(got, redacted) {
			t.Errorf("redacted %q = %q", s, got)
		}
	}
	for name, want := range map[string]bool{
		"Authorization": true, "X-API-Key": true, "x-goog-api-key": true, "access_token": true, "Cookie": true,
		"X-Hub-Signature": true, "client_secret": true, "Idempotency-Key": false, "Content-Type": false, "X-Trace": false,
	} {
		if credentialName(name) != want {
			t.Errorf("credentialName(%q) = %v", name, !want)
		}
	}
}
