package sms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// TwilioOptions configures the Twilio sender (TWILIO_* in the environment).
type TwilioOptions struct {
	AccountSID string // required
	AuthToken  string // required
	// From is the default sender number, used when a message names none.
	From string
	// MessagingServiceSID is used when neither the message nor From gives a
	// number: Twilio then picks a number of the service.
	MessagingServiceSID string
	// BaseURL replaces https://api.twilio.com (TWILIO_API_BASE_URL), e.g.
	// http://127.0.0.1:8099 for a test server. A path, if any, is a prefix.
	BaseURL string
	// HTTPClient supplies the Transport and Timeout to use; nil means
	// http.DefaultTransport and a 10 s timeout, as in twilio-go.
	HTTPClient *http.Client
}

// defaultTimeout matches twilio-go's own default HTTP client.
const defaultTimeout = 10 * time.Second

// Twilio sends messages through Twilio's Messages API with twilio-go.
// It holds no mutable state, so one value serves concurrent sends.
type Twilio struct {
	opts      TwilioOptions
	base      *url.URL // nil: Twilio itself
	transport http.RoundTripper
	timeout   time.Duration
}

var _ Sender = (*Twilio)(nil)

// NewTwilio checks opts and returns a sender. It does not call Twilio.
func NewTwilio(opts TwilioOptions) (*Twilio, error) {
	if opts.AccountSID == "" || opts.AuthToken == "" {
		return nil, errors.New("configuring Twilio: account SID and auth token are required")
	}
	// twilio-go rejects non-alphanumeric credentials on every request (as
	// error 21222/21224); saying so at start-up beats failing every send.
	if !alphanumeric(opts.AccountSID) || !alphanumeric(opts.AuthToken) {
		return nil, errors.New("configuring Twilio: account SID and auth token must be alphanumeric")
	}
	t := &Twilio{opts: opts, transport: http.DefaultTransport, timeout: defaultTimeout}
	if opts.HTTPClient != nil {
		if opts.HTTPClient.Transport != nil {
			t.transport = opts.HTTPClient.Transport
		}
		if opts.HTTPClient.Timeout > 0 {
			t.timeout = opts.HTTPClient.Timeout
		}
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("configuring Twilio: base URL %q is not an http(s)://host[:port][/path] URL", opts.BaseURL)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		t.base = u
	}
	return t, nil
}

// Send asks Twilio to send m and returns the message sid and initial status.
// All errors are *Error (wrapped); see Error.Retryable.
func (t *Twilio) Send(ctx context.Context, m Message) (Result, error) {
	params, err := t.params(m)
	if err != nil {
		return Result{}, fmt.Errorf("sending SMS via Twilio: %w", err)
	}

	// twilio-go builds its requests on context.Background(), so the context
	// reaches the request only through a per-call transport. The timeout is
	// applied here rather than by http.Client, whose own deadline the
	// transport would otherwise replace.
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	tr := &callTransport{ctx: ctx, base: t.base, next: t.transport}
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(t.opts.AccountSID, t.opts.AuthToken),
		HTTPClient: &http.Client{
			Transport: tr,
			// Like twilio-go's default client: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(t.opts.AccountSID)

	msg, err := twapi.NewApiServiceWithClient(c).CreateMessage(params)
	if err != nil {
		return Result{}, fmt.Errorf("sending SMS via Twilio: %w", classify(err, int(tr.status.Load())))
	}
	if msg.Sid == nil || *msg.Sid == "" {
		// Twilio answered 2xx, so the message may be on its way: not retryable.
		return Result{}, fmt.Errorf("sending SMS via Twilio: %w",
			&Error{Status: int(tr.status.Load()), Message: "answer carries no message sid"})
	}
	res := Result{ProviderID: *msg.Sid}
	if msg.Status != nil {
		res.Status = *msg.Status
	}
	return res, nil
}

// params maps m onto Twilio's Create Message parameters.
func (t *Twilio) params(m Message) (*twapi.CreateMessageParams, error) {
	if strings.TrimSpace(m.To) == "" {
		return nil, &Error{Message: "message has no recipient"}
	}
	if m.Body == "" && len(m.MediaURLs) == 0 {
		return nil, &Error{Message: "message has neither body nor media"}
	}
	p := &twapi.CreateMessageParams{}
	p.SetTo(m.To)
	switch from := cmp.Or(m.From, t.opts.From); {
	case m.MessagingServiceSID != "":
		p.SetMessagingServiceSid(m.MessagingServiceSID)
	case from != "":
		p.SetFrom(from)
	case t.opts.MessagingServiceSID != "":
		p.SetMessagingServiceSid(t.opts.MessagingServiceSID)
	default:
		return nil, &Error{Message: "no sender: the message has no From and neither a default From number nor a messaging service is configured"}
	}
	if m.Body != "" {
		p.SetBody(m.Body)
	}
	if len(m.MediaURLs) > 0 {
		p.SetMediaUrl(slices.Clone(m.MediaURLs)) // sent as repeated MediaUrl fields: an MMS
	}
	if m.StatusCallback != "" {
		p.SetStatusCallback(m.StatusCallback)
	}
	return p, nil
}

// classify turns what twilio-go returned into an *Error. status is the HTTP
// status the transport saw, 0 when no answer arrived.
func classify(err error, status int) *Error {
	var rest *twclient.TwilioRestError
	if errors.As(err, &rest) {
		// Trust the status on the wire over the one in the body.
		st := cmp.Or(status, rest.Status)
		msg := cmp.Or(rest.Message, http.StatusText(st))
		return &Error{Code: rest.Code, Status: st, Message: msg, Retryable: retryableStatus(st), Err: err}
	}
	switch {
	case status == 0:
		// No answer: refused, reset, timed out or cancelled. Nothing was
		// accepted, so another attempt is safe.
		return &Error{Message: err.Error(), Retryable: true, Err: err}
	case status >= 400:
		// An error answer that is not Twilio's JSON (a proxy's HTML page).
		msg := http.StatusText(status) + " (the answer is not Twilio's error JSON)"
		return &Error{Status: status, Message: msg, Retryable: retryableStatus(status), Err: err}
	default:
		// A success answer we could not read: Twilio may have accepted the
		// message, and a retry could send it twice.
		return &Error{Status: status, Message: "unreadable answer: " + err.Error(), Err: err}
	}
}

// callTransport carries one Send's context into twilio-go's requests,
// points them at BaseURL when set, and records the HTTP status so errors
// can be classified even when the body is not Twilio's JSON.
type callTransport struct {
	ctx    context.Context
	base   *url.URL
	next   http.RoundTripper
	status atomic.Int32
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx) // a RoundTripper must not modify the request it is given
	if t.base != nil {
		// twilio-go hard-codes https://api.twilio.com (or an edge/region host)
		// with no option to change it, so the rewrite happens here.
		r.URL.Scheme = t.base.Scheme
		r.URL.Host = t.base.Host
		r.URL.Path = t.base.Path + req.URL.Path
		r.URL.RawPath = ""
		r.Host = ""
	}
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		t.status.Store(int32(resp.StatusCode))
	}
	return resp, err
}

func alphanumeric(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
