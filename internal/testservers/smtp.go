package testservers

import (
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From    string
	To      []string
	Subject string
	Header  mail.Header
	Data    string
}

// SMTP is a loopback SMTP server that keeps what it receives.
type SMTP struct {
	URL  string // smtp://127.0.0.1:port
	mu   sync.Mutex
	mail []Mail
}

// NewSMTP starts an SMTP server for the test.
func NewSMTP(t testing.TB) *SMTP {
	s := &SMTP{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.URL = "smtp://" + ln.Addr().String()
	return s
}

// Messages returns what the server accepted.
func (s *SMTP) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

// NewSession implements smtp.Backend.
func (s *SMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }

type smtpSession struct {
	srv *SMTP
	cur Mail
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error { ss.cur.From = from; return nil }
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.Data = string(b)
	if m, err := mail.ReadMessage(strings.NewReader(ss.cur.Data)); err == nil {
		ss.cur.Header = m.Header
		ss.cur.Subject, _ = new(mimeDecoder).decode(m.Header.Get("Subject"))
	}
	ss.srv.mu.Lock()
	ss.srv.mail = append(ss.srv.mail, ss.cur)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.cur = Mail{} }
func (ss *smtpSession) Logout() error { return nil }
