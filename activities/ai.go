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
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/crmflow/crmflow/workflows/steps"
)

// AIOptions is the OpenAI-compatible endpoint of ai_prompt steps.
type AIOptions struct {
	// BaseURL is OPENAI_BASE_URL ("https://api.openai.com/v1", or a local
	// server such as "http://127.0.0.1:11434/v1"); with only APIKey set it
	// is OpenAI's.
	BaseURL string
	// APIKey is OPENAI_API_KEY, sent as a Bearer token; a local server may
	// need none.
	APIKey string
	// AllowPrivate is CRMFLOW_WEBHOOK_ALLOW_PRIVATE: it does not govern the
	// configured endpoint itself (the operator chose it), only where a
	// connection to anything else would go.
	AllowPrivate bool
}

// DefaultOpenAIBaseURL is used when only OPENAI_API_KEY is set.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// aiTimeout bounds one chat call; models can take a while, but the
// activity's own start-to-close timeout is 60s.
const aiTimeout = 50 * time.Second

// maxAIAnswer caps what the endpoint's answer may hold.
const maxAIAnswer = 1 << 20

// chatCompletion is the part of the chat completions answer we read.
type chatCompletion struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]any `json:"usage"`
}

// Chat sends one prompt to POST {base}/chat/completions. Timeouts,
// network errors, 429 and 5xx are retried by the step's retry policy; any
// other refusal (a wrong model, a bad key) fails the step at once with the
// endpoint's own message.
func (a *Activities) Chat(ctx context.Context, _ *steps.Call, req steps.ChatRequest) (steps.ChatReply, error) {
	opts := a.opts.AI
	base := strings.TrimRight(strings.TrimSpace(opts.BaseURL), "/")
	if base == "" && opts.APIKey != "" {
		base = DefaultOpenAIBaseURL
	}
	if base == "" {
		return steps.ChatReply{}, permanent("ai_prompt is not configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for an endpoint other than OpenAI's)")
	}
	endpoint, err := url.Parse(base + "/chat/completions")
	if err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") || endpoint.Host == "" {
		return steps.ChatReply{}, permanent("OPENAI_BASE_URL %q is not an http(s) URL", opts.BaseURL)
	}
	messages := []map[string]string{}
	if strings.TrimSpace(req.System) != "" {
		messages = append(messages, map[string]string{"role": "system", "content": req.System})
	}
	messages = append(messages, map[string]string{"role": "user", "content": req.Prompt})
	body := map[string]any{"model": req.Model, "messages": messages}
	if req.Temperature != nil {
		body["temperature"] = *req.Temperature
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return steps.ChatReply{}, permanent("encoding the chat request: %v", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return steps.ChatReply{}, permanent("building the chat request: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "crmflow-ai/1")
	if opts.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+opts.APIKey)
	}
	client := newAIClient(endpoint, opts.AllowPrivate)
	defer client.CloseIdleConnections()
	resp, err := client.Do(hreq)
	if err != nil {
		var blocked *BlockedAddressError
		if errors.As(err, &blocked) {
			return steps.ChatReply{}, permanent("calling the AI endpoint: %v", blocked)
		}
		// The error names the URL, never the key (which is in a header).
		return steps.ChatReply{}, fmt.Errorf("calling the AI endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAIAnswer))
	if err != nil {
		return steps.ChatReply{}, fmt.Errorf("reading the AI endpoint's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := aiErrorMessage(raw)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
			return steps.ChatReply{}, fmt.Errorf("the AI endpoint answered %d: %s", resp.StatusCode, msg)
		}
		return steps.ChatReply{}, permanent("the AI endpoint answered %d: %s", resp.StatusCode, msg)
	}
	var cc chatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil {
		return steps.ChatReply{}, permanent("the AI endpoint's answer is not a chat completion: %s", snippet(raw))
	}
	if len(cc.Choices) == 0 {
		return steps.ChatReply{}, permanent("the AI endpoint answered without a reply (no choices): %s", snippet(raw))
	}
	return steps.ChatReply{Text: cc.Choices[0].Message.Content, Model: cc.Model,
		FinishReason: cc.Choices[0].FinishReason, Usage: cc.Usage}, nil
}

// aiErrorMessage is the endpoint's own explanation: OpenAI and most
// compatible servers answer {"error": {"message": "..."}}.
func aiErrorMessage(raw []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && len(e.Error) > 0 {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return s
		}
	}
	return snippet(raw)
}

// newAIClient reaches the configured endpoint wherever it is (the
// operator's own, possibly on a private network: tenants cannot change it)
// and refuses redirects, so no answer can send the call, and the key,
// somewhere else. Any other address gets the webhook guard.
func newAIClient(endpoint *url.URL, allowPrivate bool) *http.Client {
	port := endpoint.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[endpoint.Scheme]
	}
	trusted := net.JoinHostPort(endpoint.Hostname(), port)
	open := &net.Dialer{Timeout: 10 * time.Second}
	guarded := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		guarded.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || blockedIP(ip) {
				return &BlockedAddressError{Addr: address}
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: aiTimeout,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == trusted {
					return open.DialContext(ctx, network, addr)
				}
				return guarded.DialContext(ctx, network, addr)
			},
			TLSHandshakeTimeout: 10 * time.Second,
		},
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return &PermanentError{Err: fmt.Errorf("the AI endpoint redirected to %s: set OPENAI_BASE_URL to the final URL", req.URL.Redacted())}
		},
	}
}
