package activities

import (
	"net/url"
	"sort"
	"strings"
)

// redacted replaces a secret wherever a webhook call would record it.
const redacted = "[redacted]"

// redactor hides the secrets of a webhook call (auth values, API-key-like
// header and query values) from everything the call records: its errors
// (which reach the execution log, the worker's log and Temporal's
// history) and its output (a server may echo a credential back). A nil
// redactor hides nothing.
type redactor struct{ secrets []string }

// add hides s, also in the encodings a URL gives it.
func (r *redactor) add(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
		if !r.has(v) {
			r.secrets = append(r.secrets, v)
		}
	}
	// Longest first, so that a secret containing another is hidden whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) has(s string) bool {
	for _, v := range r.secrets {
		if v == s {
			return true
		}
	}
	return false
}

// contains reports whether s holds a secret.
func (r *redactor) contains(s string) bool {
	if r == nil {
		return false
	}
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

func (r *redactor) string(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return s
}

// value redacts every string (and key) of a decoded JSON value.
func (r *redactor) value(v any) any {
	if r == nil || len(r.secrets) == 0 {
		return v
	}
	switch v := v.(type) {
	case string:
		return r.string(v)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = r.value(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[r.string(k)] = r.value(item)
		}
		return out
	}
	return v
}

// credentialName reports whether a header or query parameter name looks
// like it carries a credential (Authorization, X-API-Key, access_token,
// Cookie, X-Signature...): its value is then treated as a secret even when
// it was not set through the step's auth.
func credentialName(name string) bool {
	n := strings.ToLower(name)
	if n == "idempotency-key" {
		return false
	}
	for _, part := range []string{"auth", "token", "secret", "password", "passwd", "apikey", "api-key", "api_key",
		"cookie", "session", "signature", "credential", "private"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return n == "key" || strings.HasSuffix(n, "-key") || strings.HasSuffix(n, "_key") || strings.HasSuffix(n, ".key")
}
