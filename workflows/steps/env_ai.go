package steps

import "context"

// AIEnv asks a language model: the OpenAI-compatible chat completions
// endpoint the operator configured (OPENAI_BASE_URL, OPENAI_API_KEY).
type AIEnv interface {
	Chat(ctx context.Context, call *Call, req ChatRequest) (ChatReply, error)
}

// ChatRequest is one prompt to a chat model.
type ChatRequest struct {
	Model       string
	System      string // optional instructions, sent as the system message
	Prompt      string
	Temperature *float64
}

// ChatReply is the model's answer.
type ChatReply struct {
	Text         string
	Model        string
	FinishReason string
	Usage        map[string]any // token counts as the endpoint reports them
}
