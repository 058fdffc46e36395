package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "authtoken0123456789"
)

// Numbers that make the fake Twilio answer with an error, as the real one
// does for bad input or trouble on its side.
const (
	numInvalid   = "+1555"        // 400, code 21211
	numBusy      = "+15550000429" // 429, code 20429
	numBroken    = "+15550000500" // 500, code 20500
	numBadGate   = "+15550000502" // 502 with an HTML page, as from a proxy
	numHang      = "+15550000999" // never answers until the client gives up
	numNoSIDResp = "+15550000201" // 201 without a sid
)

// received is one request as the fake Twilio saw it.
type received struct {
	Method, Path, User, Pass, UserAgent, ContentType string
	AuthOK                                           bool
	Form                                             url.Values
}

// fakeTwilio is an HTTP server that speaks the part of Twilio's REST API
// that sending uses: POST /2010-04-01/Accounts/{sid}/Messages.json.
type fakeTwilio struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
	n    int
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	t.Helper()
	f := &fakeTwilio{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTwilio) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	_ = r.ParseForm()
	rec := received{
		Method: r.Method, Path: r.URL.Path, User: user, Pass: pass, AuthOK: ok,
		UserAgent: r.UserAgent(), ContentType: r.Header.Get("Content-Type"), Form: r.PostForm,
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	f.n++
	n := f.n
	f.mu.Unlock()

	wantPath := "/2010-04-01/Accounts/" + testSID + "/Messages.json"
	switch {
	case r.Method != http.MethodPost || strings.TrimPrefix(r.URL.Path, "/prefix") != wantPath:
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case !ok || user != testSID || pass != testToken:
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}

	to := r.PostForm.Get("To")
	switch to {
	case numInvalid:
		twilioError(w, http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
		return
	case numBusy:
		twilioError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	case numBroken:
		twilioError(w, http.StatusInternalServerError, 20500, "An internal server error has occurred")
		return
	case numBadGate:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	case numHang:
		<-r.Context().Done()
		return
	}

	sid := fmt.Sprintf("SM%032d", n)
	media := r.PostForm["MediaUrl"]
	msg := map[string]any{
		"account_sid":           testSID,
		"api_version":           "2010-04-01",
		"body":                  r.PostForm.Get("Body"),
		"date_created":          "Thu, 24 Aug 2023 05:01:45 +0000",
		"date_sent":             nil,
		"date_updated":          "Thu, 24 Aug 2023 05:01:45 +0000",
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  r.PostForm.Get("From"),
		"messaging_service_sid": nilIfEmpty(r.PostForm.Get("MessagingServiceSid")),
		"num_media":             fmt.Sprint(len(media)),
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   sid,
		"status":                "queued",
		"subresource_uris":      map[string]string{"media": "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + "/Media.json"},
		"to":                    to,
		"uri":                   "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + ".json",
	}
	if to == numNoSIDResp {
		delete(msg, "sid")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(msg)
}

// twilioError writes an error the way Twilio does.
func twilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func newTestTwilio(t *testing.T, baseURL string, mod func(*TwilioOptions)) *Twilio {
	t.Helper()
	opts := TwilioOptions{AccountSID: testSID, AuthToken: testToken, From: "+15005550006", BaseURL: baseURL}
	if mod != nil {
		mod(&opts)
	}
	tw, err := NewTwilio(opts)
	if err != nil {
		t.Fatalf("NewTwilio: %v", err)
	}
	return tw
}

func TestTwilioSendSMS(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, nil)

	res, err := tw.Send(context.Background(), Message{
		To:             "+14155550100",
		Body:           "Hi Ada! Reply STOP to opt out.",
		StatusCallback: "https://crm.example.com/v1/callbacks/twilio/status",
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := fmt.Sprintf("SM%032d", 1); res.ProviderID != want || res.Status != "queued" {
		t.Errorf("result = %+v, want sid %s and status queued", res, want)
	}

	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if !r.AuthOK || r.User != testSID || r.Pass != testToken {
		t.Errorf("basic auth = %q:%q (present %v), want the account sid and token", r.User, r.Pass, r.AuthOK)
	}
	if !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q", r.ContentType)
	}
	if !strings.HasPrefix(r.UserAgent, "twilio-go/") {
		t.Errorf("User-Agent = %q, want twilio-go's", r.UserAgent)
	}
	want := url.Values{
		"To":             {"+14155550100"},
		"From":           {"+15005550006"}, // the default sender
		"Body":           {"Hi Ada! Reply STOP to opt out."},
		"StatusCallback": {"https://crm.example.com/v1/callbacks/twilio/status"},
	}
	if !equalForms(r.Form, want) {
		t.Errorf("form = %v, want %v", r.Form, want)
	}
}

func TestTwilioSendMMS(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, nil)

	media := []string{"https://cdn.example.com/a.png", "https://cdn.example.com/b.jpg"}
	res, err := tw.Send(context.Background(), Message{
		To: "+14155550100", From: "+14155550199", Body: "Your pictures", MediaURLs: media,
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.ProviderID == "" {
		t.Errorf("empty provider id")
	}
	r := srv.requests()[0]
	if got := r.Form["MediaUrl"]; !slices.Equal(got, media) {
		t.Errorf("MediaUrl = %q, want each URL as its own field %q", got, media)
	}
	if got := r.Form.Get("From"); got != "+14155550199" {
		t.Errorf("From = %q, want the message's own sender", got)
	}

	// Media alone, without a body, is a valid MMS.
	if _, err := tw.Send(context.Background(), Message{To: "+14155550100", MediaURLs: media[:1]}); err != nil {
		t.Fatalf("Send media only: %v", err)
	}
	r = srv.requests()[1]
	if _, has := r.Form["Body"]; has || len(r.Form["MediaUrl"]) != 1 {
		t.Errorf("media-only form = %v", r.Form)
	}
}

func TestTwilioMessagingService(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, func(o *TwilioOptions) {
		o.From = ""
		o.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef"
	})
	if _, err := tw.Send(context.Background(), Message{To: "+14155550100", Body: "hi"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// An explicit sender wins over the service.
	if _, err := tw.Send(context.Background(), Message{To: "+14155550100", From: "+14155550199", Body: "hi"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	if f := reqs[0].Form; f.Get("MessagingServiceSid") != "MG0123456789abcdef0123456789abcdef" || f.Has("From") {
		t.Errorf("form without a sender = %v, want MessagingServiceSid and no From", f)
	}
	if f := reqs[1].Form; f.Get("From") != "+14155550199" || f.Has("MessagingServiceSid") {
		t.Errorf("form with a sender = %v, want From only", f)
	}
}

func TestTwilioBaseURLWithPath(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL+"/prefix/", nil)
	if _, err := tw.Send(context.Background(), Message{To: "+14155550100", Body: "hi"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if p := srv.requests()[0].Path; p != "/prefix/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		t.Errorf("path = %q", p)
	}
}

func TestTwilioErrors(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, nil)

	tests := []struct {
		name      string
		to        string
		code      int
		status    int
		retryable bool
		text      string // exact Error() of the *Error, when set
	}{
		{name: "invalid number", to: numInvalid, code: 21211, status: 400, retryable: false,
			text: "twilio: The 'To' number +1555 is not a valid phone number. (code 21211, HTTP 400)"},
		{name: "rate limited", to: numBusy, code: 20429, status: 429, retryable: true},
		{name: "server error", to: numBroken, code: 20500, status: 500, retryable: true,
			text: "twilio: An internal server error has occurred (code 20500, HTTP 500)"},
		{name: "proxy page", to: numBadGate, status: 502, retryable: true},
		{name: "accepted without sid", to: numNoSIDResp, status: 201, retryable: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tw.Send(context.Background(), Message{To: tc.to, Body: "hi"})
			t.Logf("err: %v", err)
			e := asError(t, err)
			if e.Code != tc.code || e.Status != tc.status || e.Retryable != tc.retryable {
				t.Errorf("error = %+v, want code %d, status %d, retryable %v", e, tc.code, tc.status, tc.retryable)
			}
			if tc.text != "" && e.Error() != tc.text {
				t.Errorf("Error() = %q, want %q", e.Error(), tc.text)
			}
			if !strings.HasPrefix(err.Error(), "sending SMS via Twilio: twilio: ") {
				t.Errorf("err = %q, want it to say what was being done", err)
			}
		})
	}
}

func TestTwilioWrongCredentials(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, func(o *TwilioOptions) { o.AuthToken = "wrongtoken" })
	_, err := tw.Send(context.Background(), Message{To: "+14155550100", Body: "hi"})
	e := asError(t, err)
	if e.Code != 20003 || e.Status != 401 || e.Retryable {
		t.Errorf("error = %+v, want code 20003, HTTP 401, not retryable", e)
	}
}

func TestTwilioNetworkErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close() // nothing listens there any more
		tw := newTestTwilio(t, base, nil)
		_, err := tw.Send(context.Background(), Message{To: "+14155550100", Body: "hi"})
		e := asError(t, err)
		if !e.Retryable || e.Status != 0 {
			t.Errorf("error = %+v, want retryable with no HTTP status", e)
		}
	})

	t.Run("context deadline", func(t *testing.T) {
		srv := newFakeTwilio(t)
		tw := newTestTwilio(t, srv.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := tw.Send(ctx, Message{To: numHang, Body: "hi"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a deadline error", err)
		}
		if asError(t, err).Retryable != true {
			t.Errorf("a timeout should be retryable")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Send took %v: the context did not reach the request", d)
		}
	})

	t.Run("client timeout", func(t *testing.T) {
		srv := newFakeTwilio(t)
		tw := newTestTwilio(t, srv.URL, func(o *TwilioOptions) {
			o.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
		})
		_, err := tw.Send(context.Background(), Message{To: numHang, Body: "hi"})
		if e := asError(t, err); !e.Retryable || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a retryable deadline error", err)
		}
	})
}

func TestTwilioRejectsBadMessages(t *testing.T) {
	srv := newFakeTwilio(t)
	tw := newTestTwilio(t, srv.URL, func(o *TwilioOptions) { o.From = "" })
	for name, m := range map[string]Message{
		"no recipient": {Body: "hi", From: "+14155550199"},
		"no content":   {To: "+14155550100", From: "+14155550199"},
		"no sender":    {To: "+14155550100", Body: "hi"},
	} {
		_, err := tw.Send(context.Background(), m)
		if e := asError(t, err); e.Retryable {
			t.Errorf("%s: error %v is retryable", name, e)
		}
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("server saw %d requests for invalid messages", n)
	}
}

func TestNewTwilioValidates(t *testing.T) {
	for name, opts := range map[string]TwilioOptions{
		"no sid":          {AuthToken: testToken},
		"no token":        {AccountSID: testSID},
		"odd token":       {AccountSID: testSID, AuthToken: "tok-en"},
		"relative base":   {AccountSID: testSID, AuthToken: testToken, BaseURL: "127.0.0.1:8080"},
		"ftp base":        {AccountSID: testSID, AuthToken: testToken, BaseURL: "ftp://127.0.0.1"},
		"base with query": {AccountSID: testSID, AuthToken: testToken, BaseURL: "http://127.0.0.1/?x=1"},
	} {
		if _, err := NewTwilio(opts); err == nil {
			t.Errorf("%s: NewTwilio accepted %+v", name, opts)
		}
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *sms.Error", err, err)
	}
	return e
}

func equalForms(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
