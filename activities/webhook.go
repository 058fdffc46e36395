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
type HTTPError struct {
	URL        string
	Status     int
	Body       string
	Retryable  bool
	RetryAfter time.Duration
	Err        error
}

func (e *HTTPError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("webhook %s: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("webhook %s answered %d: %s", e.URL, e.Status, e.Body)
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
	req.Header.Set("User-Agent", "crmflow-webhook/1")
	req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	resp, err := a.http.Do(req)
	if err != nil {
		var blocked *BlockedAddressError
		if errors.As(err, &blocked) {
			return steps.HTTPResponse{}, &HTTPError{URL: url, Err: blocked}
		}
		return steps.HTTPResponse{}, &HTTPError{URL: url, Retryable: true, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return steps.HTTPResponse{}, &HTTPError{URL: url, Retryable: true, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &HTTPError{URL: url, Status: resp.StatusCode, Body: snippet(raw),
			Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 && s <= 3600 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return steps.HTTPResponse{}, e
	}
	out := steps.HTTPResponse{Status: resp.StatusCode, Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[strings.ToLower(k)] = resp.Header.Get(k)
	}
	var parsed any
	if json.Unmarshal(raw, &parsed) == nil {
		out.Body = parsed
	} else {
		out.Body = string(raw)
	}
	return out, nil
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
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
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
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would hide the real destination from the check
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
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
