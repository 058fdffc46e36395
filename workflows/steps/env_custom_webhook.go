package steps

import (
	"context"
	"time"
)

// RequestEnv makes the arbitrary HTTP calls of custom webhooks.
type RequestEnv interface {
	// SendHTTP sends r through the guarded outbound client and returns the
	// 2xx answer; anything else is an error that says whether a retry may
	// help. Nothing it records (errors, output) carries r's secrets.
	SendHTTP(ctx context.Context, call *Call, r HTTPRequest) (HTTPResponse, error)
}

// HTTPRequest is a rendered custom webhook call.
type HTTPRequest struct {
	Method string
	// URL is the rendered URL; Query is added to its own query (a key in
	// both takes Query's value). The environment parses and checks it, so
	// that a rendered value that is not a URL fails the step for good.
	URL     string
	Query   map[string]string
	Headers map[string]string
	// Body is sent as is; ContentType applies unless Headers sets one.
	Body        []byte
	ContentType string
	Timeout     time.Duration
	// Secrets are values that must never be recorded (auth credentials):
	// they are redacted from errors and the output. Values of headers and
	// query parameters whose names look like credentials are added to them.
	Secrets []string
}
