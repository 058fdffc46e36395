package activities

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/steps"
)

// logReserve is the part of the activity's own time limit a custom webhook
// leaves unused, so that a request running out of time is still written to
// the execution log (with its error) before Temporal gives up on the attempt.
const logReserve = 3 * time.Second

// SendHTTP makes a custom webhook's call through the guarded client. The
// request's secrets, and the values of headers and query parameters named
// like credentials, are redacted from every error and from the output.
func (a *Activities) SendHTTP(ctx context.Context, call *steps.Call, r steps.HTTPRequest) (steps.HTTPResponse, error) {
	red := &redactor{}
	for _, s := range r.Secrets {
		red.add(s)
	}
	for k, v := range r.Headers {
		if credentialName(k) {
			red.add(v)
		}
	}
	for k, v := range r.Query {
		if credentialName(k) {
			red.add(v)
		}
	}
	u, err := url.Parse(r.URL)
	if err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			red.add(p)
		}
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return steps.HTTPResponse{}, permanent("config.url: %q is not an http(s) URL", red.string(r.URL))
	}
	if len(r.Query) > 0 {
		q := u.Query()
		for _, k := range sortedNames(r.Query) {
			q.Set(k, r.Query[k])
		}
		u.RawQuery = q.Encode()
	}

	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline) - logReserve; left < timeout {
			timeout = max(left, time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return steps.HTTPResponse{}, permanent("building the %s request: %s", r.Method, red.string(err.Error()))
	}
	req.Header.Set("User-Agent", userAgent)
	// Receivers that support it drop repeats of a call they already
	// handled: the key is the same on every retry of this visit.
	req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	for _, k := range sortedNames(r.Headers) {
		v := r.Headers[k]
		if !steps.ValidHeaderName(k) {
			return steps.HTTPResponse{}, permanent("config.headers: %q is not a valid HTTP header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return steps.HTTPResponse{}, permanent("config.headers.%s: the rendered value contains a line break", k)
		}
		req.Header.Set(k, v)
	}
	return roundTrip(a.customClient(red), req, red, timeout)
}

// customClient is the guarded client with the step's timeout in charge
// (not the client's 30s), and redirects that never carry a credential to
// another host: Go drops Authorization and Cookie there itself, but not an
// X-API-Key or a header holding the step's secrets.
func (a *Activities) customClient(red *redactor) *http.Client {
	c := *a.http
	c.Timeout = 0
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host {
			for name, values := range req.Header {
				if credentialName(name) || red.contains(strings.Join(values, " ")) {
					req.Header.Del(name)
				}
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

func sortedNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
