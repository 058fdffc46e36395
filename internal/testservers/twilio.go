// Package testservers runs real protocol peers on loopback for tests: an
// HTTP server that speaks Twilio's Messages API and an SMTP server. Tests
// of sends go through the real client code to these, never to a stub.
package testservers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// SMS is one message the Twilio server accepted.
type SMS struct {
	SID, To, From, Body string
	MediaURLs           []string
	StatusCallback      string
	MessagingServiceSID string
}

// Twilio is a loopback server that speaks Twilio's Messages API.
type Twilio struct {
	URL        string
	AccountSID string
	AuthToken  string

	mu       sync.Mutex
	messages []SMS
	// FailNext makes the next n requests answer 500, to test retries.
	failNext int
}

// NewTwilio starts a Twilio-speaking server for the test.
func NewTwilio(t testing.TB) *Twilio {
	tw := &Twilio{AccountSID: "AC00000000000000000000000000000001", AuthToken: "testtoken"}
	srv := httptest.NewServer(http.HandlerFunc(tw.serve))
	t.Cleanup(srv.Close)
	tw.URL = srv.URL
	return tw
}

// Messages returns what the server accepted.
func (tw *Twilio) Messages() []SMS {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]SMS(nil), tw.messages...)
}

// FailNext makes the next n sends answer HTTP 500.
func (tw *Twilio) FailNext(n int) {
	tw.mu.Lock()
	tw.failNext = n
	tw.mu.Unlock()
}

func (tw *Twilio) serve(w http.ResponseWriter, r *http.Request) {
	want := "/2010-04-01/Accounts/" + tw.AccountSID + "/Messages.json"
	user, pass, ok := r.BasicAuth()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != want:
		twilioError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	case !ok || user != tw.AccountSID || pass != tw.AuthToken:
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 21602, "bad form")
		return
	}
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.failNext > 0 {
		tw.failNext--
		twilioError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
		return
	}
	to := r.PostForm.Get("To")
	if !strings.HasPrefix(to, "+") {
		twilioError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
		return
	}
	m := SMS{SID: fmt.Sprintf("SM%032d", len(tw.messages)+1), To: to, From: r.PostForm.Get("From"),
		Body: r.PostForm.Get("Body"), MediaURLs: r.PostForm["MediaUrl"], StatusCallback: r.PostForm.Get("StatusCallback"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid")}
	tw.messages = append(tw.messages, m)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{
		"sid": m.SID, "account_sid": tw.AccountSID, "to": m.To, "from": m.From, "body": m.Body,
		"status": "queued", "num_media": fmt.Sprint(len(m.MediaURLs)), "direction": "outbound-api",
	})
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)})
}
