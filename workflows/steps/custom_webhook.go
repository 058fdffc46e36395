package steps

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(customWebhook{}) }

type customWebhookConfig struct {
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers,omitempty"`
	Query    map[string]string `json:"query,omitempty"`
	Auth     *webhookAuth      `json:"auth,omitempty"`
	BodyType string            `json:"body_type,omitempty"`
	// Body is any JSON value whose strings are templates (for body_type
	// form, an object of text, numbers and booleans). Raw, so that numbers
	// keep their exact digits.
	Body    json.RawMessage `json:"body,omitempty"`
	Timeout string          `json:"timeout,omitempty"`
}

// webhookAuth is the credential of a custom webhook; every value may be a
// template (e.g. {{custom_values.crm_token}}), and none is ever recorded.
type webhookAuth struct {
	Type     string `json:"type"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
	Key      string `json:"key,omitempty"`
	Value    string `json:"value,omitempty"`
	In       string `json:"in,omitempty"`
}

const (
	defaultWebhookTimeout = 10 * time.Second
	maxWebhookTimeout     = 60 * time.Second
)

var webhookMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// Headers the HTTP client computes itself: setting them by hand would
// corrupt the request or be silently ignored.
var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true, "te": true,
	"trailer": true, "upgrade": true, "keep-alive": true, "proxy-connection": true,
}

// authFields lists, for each auth type, the fields it uses and which of
// them are required.
var authFields = map[string]struct{ uses, required []string }{
	"none":    {},
	"basic":   {uses: []string{"username", "password"}, required: []string{"username"}},
	"bearer":  {uses: []string{"token"}, required: []string{"token"}},
	"api_key": {uses: []string{"key", "value", "in"}, required: []string{"key", "value"}},
}

// customWebhook calls any HTTP API: method, URL, headers, query, auth and a
// JSON or form body, all templated. The answer (status, headers, parsed
// body) is its output, so later steps read {{steps.<id>.response.body.id}}.
// 5xx, 429 (after its Retry-After) and timeouts are retried with the step's
// backoff; other 4xx fail it at once.
type customWebhook struct{ noTargets }

func (customWebhook) Type() string { return "custom_webhook" }
func (customWebhook) Remote() bool { return true }

func (customWebhook) Validate(p *validation.Problems, s *definition.Step) {
	var c customWebhookConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	method := strings.ToUpper(c.Method)
	if method != "" && !webhookMethods[method] {
		p.Add("config.method", "unknown method %q (GET, POST, PUT, PATCH or DELETE)", c.Method)
	}
	if required(p, "config.url", c.URL) {
		if template.IsTemplate(c.URL) {
			checkTemplate(p, "config.url", c.URL)
		} else if err := checkURL(c.URL); err != nil {
			p.Add("config.url", "%s", err.Error())
		}
	}
	for _, k := range sortedKeys(c.Headers) {
		path := validation.JoinPath("config.headers", k)
		switch {
		case !ValidHeaderName(k):
			p.Add(path, "%q is not a valid HTTP header name", k)
		case reservedHeaders[strings.ToLower(k)]:
			p.Add(path, "%s is set by the HTTP client and cannot be set by hand", k)
		case strings.ContainsAny(c.Headers[k], "\r\n\x00"):
			p.Add(path, "a header value cannot contain line breaks")
		default:
			checkTemplate(p, path, c.Headers[k])
		}
	}
	for _, k := range sortedKeys(c.Query) {
		path := validation.JoinPath("config.query", k)
		if strings.TrimSpace(k) == "" {
			p.Add(path, "a query parameter needs a name")
			continue
		}
		checkTemplate(p, path, c.Query[k])
	}
	if c.Auth != nil {
		validateAuth(p, c.Auth)
	}
	if _, err := webhookTimeout(c.Timeout); err != nil {
		p.Add("config.timeout", "%s", err.Error())
	}
	validateBody(p, method, c)
}

func validateAuth(p *validation.Problems, a *webhookAuth) {
	fields, known := authFields[a.Type]
	if !known {
		if a.Type == "" {
			p.Add("config.auth.type", "is required (none, basic, bearer or api_key)")
		} else {
			p.Add("config.auth.type", "unknown auth type %q (none, basic, bearer or api_key)", a.Type)
		}
		return
	}
	values := map[string]string{"username": a.Username, "password": a.Password, "token": a.Token,
		"key": a.Key, "value": a.Value, "in": a.In}
	uses := map[string]bool{}
	for _, f := range fields.uses {
		uses[f] = true
	}
	for _, f := range []string{"username", "password", "token", "key", "value", "in"} {
		if values[f] != "" && !uses[f] {
			p.Add("config.auth."+f, "is not used by auth type %s", a.Type)
		}
	}
	for _, f := range fields.required {
		required(p, "config.auth."+f, values[f])
	}
	for _, f := range fields.uses {
		if f != "in" {
			checkTemplate(p, "config.auth."+f, values[f])
		}
	}
	if a.Type == "api_key" {
		switch a.In {
		case "", "header":
			if a.Key != "" && !ValidHeaderName(a.Key) {
				p.Add("config.auth.key", "%q is not a valid HTTP header name", a.Key)
			}
		case "query":
		default:
			p.Add("config.auth.in", "must be header or query, not %q", a.In)
		}
	}
}

// webhookTimeout reads config.timeout: 10s when empty, at most 60s.
func webhookTimeout(s string) (time.Duration, error) {
	if s == "" {
		return defaultWebhookTimeout, nil
	}
	d, err := durations.Parse(s)
	switch {
	case err != nil:
		return 0, err
	case d <= 0:
		return 0, fmt.Errorf("must be longer than zero")
	case d > maxWebhookTimeout:
		return 0, fmt.Errorf("is more than 60s, the longest a webhook may take")
	}
	return d, nil
}

func validateBody(p *validation.Problems, method string, c customWebhookConfig) {
	body, err := decodeBody(c.Body)
	if err != nil {
		p.Add("config.body", "invalid JSON: %v", err)
		return
	}
	switch c.BodyType {
	case "", "json", "form":
	default:
		p.Add("config.body_type", "must be json or form, not %q", c.BodyType)
		return
	}
	if body == nil {
		return
	}
	if method == "GET" {
		p.Add("config.body", "a GET request carries no body (send values in query)")
		return
	}
	if c.BodyType == "form" {
		obj, ok := body.(map[string]any)
		if !ok {
			p.Add("config.body", "a form body must be an object of fields, not %s", validation.JSONType(body))
			return
		}
		for _, k := range sortedKeys(obj) {
			path := validation.JoinPath("config.body", k)
			switch v := obj[k].(type) {
			case string:
				checkTemplate(p, path, v)
			case json.Number, bool:
			default:
				p.Add(path, "a form field must be text, a number or true/false, not %s", validation.JSONType(v))
			}
		}
		return
	}
	walkStrings("config.body", body, func(path, s string) { checkTemplate(p, path, s) })
}

// decodeBody reads the raw body config; nil when there is none.
func decodeBody(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// walkStrings calls fn on every string of a decoded JSON value, with its path.
func walkStrings(path string, v any, fn func(path, s string)) {
	switch v := v.(type) {
	case string:
		fn(path, v)
	case []any:
		for i, item := range v {
			walkStrings(fmt.Sprintf("%s[%d]", path, i), item, fn)
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			walkStrings(validation.JoinPath(path, k), v[k], fn)
		}
	}
}

// renderJSON renders every string of a decoded JSON value as a template.
func renderJSON(call *Call, path string, v any) (any, error) {
	switch v := v.(type) {
	case string:
		s, err := call.Render(v)
		if err != nil {
			return nil, fail("%s: %v", path, err)
		}
		return s, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			r, err := renderJSON(call, fmt.Sprintf("%s[%d]", path, i), item)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			r, err := renderJSON(call, validation.JoinPath(path, k), item)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func (customWebhook) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c customWebhookConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	req, err := c.request(call)
	if err != nil {
		return Result{}, err
	}
	resp, err := env.SendHTTP(ctx, call, req)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"response": map[string]any{
		"status": resp.Status, "headers": resp.Headers, "body": resp.Body,
	}}}, nil
}

// request renders the config into the call to make.
func (c customWebhookConfig) request(call *Call) (HTTPRequest, error) {
	render := func(path, s string) (string, error) {
		out, err := call.Render(s)
		if err != nil {
			return "", fail("%s: %v", path, err)
		}
		return out, nil
	}
	r := HTTPRequest{Method: strings.ToUpper(c.Method), Headers: map[string]string{}, Query: map[string]string{}}
	if r.Method == "" {
		r.Method = "POST"
	}
	var err error
	if r.URL, err = render("config.url", c.URL); err != nil {
		return r, err
	}
	for k, v := range c.Headers {
		if r.Headers[k], err = render(validation.JoinPath("config.headers", k), v); err != nil {
			return r, err
		}
	}
	for k, v := range c.Query {
		if r.Query[k], err = render(validation.JoinPath("config.query", k), v); err != nil {
			return r, err
		}
	}
	if err := c.applyAuth(&r, render); err != nil {
		return r, err
	}
	if r.Timeout, err = webhookTimeout(c.Timeout); err != nil {
		return r, fail("config.timeout: %v", err)
	}
	body, err := decodeBody(c.Body)
	if err != nil || body == nil {
		return r, err
	}
	if c.BodyType == "form" {
		obj, _ := body.(map[string]any)
		form := url.Values{}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				s, err := render(validation.JoinPath("config.body", k), v)
				if err != nil {
					return r, err
				}
				form.Set(k, s)
			default:
				form.Set(k, fmt.Sprint(v)) // json.Number keeps its digits; bools print as true/false
			}
		}
		r.Body, r.ContentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
		return r, nil
	}
	rendered, err := renderJSON(call, "config.body", body)
	if err != nil {
		return r, err
	}
	if r.Body, err = json.Marshal(rendered); err != nil {
		return r, fail("config.body: encoding JSON: %v", err)
	}
	r.ContentType = "application/json"
	return r, nil
}

// applyAuth adds the credential to the request, overriding a header or a
// query parameter of the same name, and lists its values as secrets.
func (c customWebhookConfig) applyAuth(r *HTTPRequest, render func(path, s string) (string, error)) error {
	a := c.Auth
	if a == nil || a.Type == "none" {
		return nil
	}
	get := func(field, s string) (string, error) { return render("config.auth."+field, s) }
	switch a.Type {
	case "basic":
		user, err := get("username", a.Username)
		if err != nil {
			return err
		}
		pass, err := get("password", a.Password)
		if err != nil {
			return err
		}
		encoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		setHeader(r.Headers, "Authorization", "Basic "+encoded)
		r.Secrets = append(r.Secrets, pass, encoded)
	case "bearer":
		token, err := get("token", a.Token)
		if err != nil {
			return err
		}
		setHeader(r.Headers, "Authorization", "Bearer "+token)
		r.Secrets = append(r.Secrets, token)
	case "api_key":
		value, err := get("value", a.Value)
		if err != nil {
			return err
		}
		if a.In == "query" {
			r.Query[a.Key] = value
		} else {
			setHeader(r.Headers, a.Key, value)
		}
		r.Secrets = append(r.Secrets, value)
	}
	return nil
}

// setHeader sets a header, replacing one of the same name in any case.
func setHeader(h map[string]string, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[name] = value
}

// ValidHeaderName reports whether s is an HTTP header name (an RFC 9110 token).
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}
