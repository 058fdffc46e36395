package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crmflow/crmflow/workflows/steps"
)

// maxResponseBody caps what a webhook answer may put into a step's output.
const maxResponseBody = 256 << 10

// HTTPError is a webhook call that did not succeed. 5xx, 429 and network
// errors are retryable; other 4xx are not (the request itself is wrong).
// Its fields are already redacted: it goes into the execution log and
// Temporal's history as it is.
type HTTPError struct {
	Method     string
	URL        string
	Status     int
	Body       string
	Retryable  bool
	RetryAfter time.Duration
	Err        error
}

func (e *HTTPError) Error() string {
	target := e.URL
	if e.Method != "" {
		target = e.Method + " " + e.URL
	}
	if e.Status == 0 {
		return fmt.Sprintf("webhook %s: %v", target, e.Err)
	}
	msg := fmt.Sprintf("webhook %s answered %d", target, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (Retry-After %s)", e.RetryAfter)
	}
	return msg
}

func (e *HTTPError) Unwrap() error { return e.Err }

// PostJSON posts body as JSON and returns the answer. The step's
// idempotency key goes along as Idempotency-Key so receivers can drop
// retries of a call they already handled.
func (a *Activities) PostJSON(ctx context.Context, call *steps.Call, url string, body any) (steps.HTTPResponse, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return steps.HTTPResponse{}, permanent("encoding webhook body: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return steps.HTTPResponse{}, permanent("building webhook request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	red := &redactor{}
	if u := req.URL.User; u != nil {
		if p, ok := u.Password(); ok {
			red.add(p)
		}
	}
	return roundTrip(a.http, req, red, 0)
}

const userAgent = "crmflow-webhook/1"

// roundTrip sends req and reads the answer, for every kind of webhook: a
// 2xx becomes the step's response (JSON parsed, else text); anything else
// an *HTTPError that says whether a retry may help, with Retry-After read.
// Everything it returns went through red. timeout is what the caller gave
// the request (0: the client's own), named when it runs out.
func roundTrip(client *http.Client, req *http.Request, red *redactor, timeout time.Duration) (steps.HTTPResponse, error) {
	fail := func(retryable bool, err error) error {
		var blocked *BlockedAddressError
		if errors.As(err, &blocked) {
			retryable, err = false, blocked // names only the address: nothing to hide
		} else {
			// The transport's errors quote the URL, query and all: keep only
			// their redacted text, since Temporal records the whole chain.
			err = errors.New(red.string(err.Error()))
		}
		return &HTTPError{Method: req.Method, URL: red.string(req.URL.Redacted()), Retryable: retryable, Err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		if timeout > 0 && isTimeout(err) {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return steps.HTTPResponse{}, fail(true, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		if timeout > 0 && isTimeout(err) {
			err = fmt.Errorf("answer not read within %s", timeout)
		}
		return steps.HTTPResponse{}, fail(true, fmt.Errorf("reading answer: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return steps.HTTPResponse{}, &HTTPError{Method: req.Method, URL: red.string(req.URL.Redacted()),
			Status: resp.StatusCode, Body: red.string(snippet(raw)),
			Retryable:  resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	out := steps.HTTPResponse{Status: resp.StatusCode, Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[strings.ToLower(k)] = red.string(resp.Header.Get(k))
	}
	var parsed any
	if json.Unmarshal(raw, &parsed) == nil {
		out.Body = red.value(parsed)
	} else {
		out.Body = red.string(string(raw))
	}
	return out, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// maxRetryAfter bounds how long a Retry-After may hold a step back; a
// server asking for more is retried then (and may ask again).
const maxRetryAfter = time.Hour

// retryAfter reads a Retry-After header (RFC 9110): delay-seconds or an
// HTTP date. Zero when absent, unreadable or already past: the step's
// own backoff applies then.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return min(max(d, 0), maxRetryAfter)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// BlockedAddressError is a webhook aimed at an address crmflow refuses to
// reach: loopback, private, link-local (cloud metadata) and the like.
type BlockedAddressError struct{ Addr string }

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("refusing to call %s: private, loopback and link-local addresses are blocked (set CRMFLOW_WEBHOOK_ALLOW_PRIVATE=1 to allow them)", e.Addr)
}

// NewWebhookClient returns the HTTP client of outbound webhooks. Unless
// allowPrivate, it refuses private addresses at connect time, after DNS, so
// neither a hostname that resolves inward nor a redirect gets through.
func NewWebhookClient(allowPrivate bool) *http.Client {
	if allowPrivate {
		return newWebhookClient(nil)
	}
	return newWebhookClient(publicOnly)
}

// publicOnly refuses a dial to any address but a public one.
func publicOnly(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || blockedIP(ip) {
		return &BlockedAddressError{Addr: address}
	}
	return nil
}

// newWebhookClient builds the client with check run on every address it
// connects to (nil: any); tests pass a narrower one.
func newWebhookClient(check func(address string) error) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if check != nil {
		dialer.Control = func(_, address string, _ syscall.RawConn) error { return check(address) }
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would hide the real destination from the check
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second, // custom webhooks may wait up to 60s
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}

var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

func blockedIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}
