package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() {
	register(tagStep{typ: "add_tag"})
	register(tagStep{typ: "remove_tag"})
}

// tagsConfig is the config of add_tag and remove_tag.
type tagsConfig struct {
	Tags []string `json:"tags"`
}

// tagStep adds or removes tags on the contact; the record change raises
// contact_tag_added / contact_tag_removed like any other.
type tagStep struct {
	noTargets
	typ string
}

func (t tagStep) Type() string { return t.typ }
func (tagStep) Remote() bool   { return false }

func (tagStep) Validate(p *validation.Problems, s *definition.Step) {
	var c tagsConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if len(c.Tags) == 0 {
		p.Add("config.tags", "at least one tag is required")
	}
	for i, tag := range c.Tags {
		path := fmt.Sprintf("config.tags[%d]", i)
		if required(p, path, tag) {
			checkTemplate(p, path, tag)
		}
	}
}

func (t tagStep) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c tagsConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	tags := make([]string, 0, len(c.Tags))
	for i, tag := range c.Tags {
		v, err := call.Render(tag)
		if err != nil {
			return Result{}, fmt.Errorf("config.tags[%d]: %w", i, err)
		}
		if v = strings.TrimSpace(v); v != "" {
			tags = append(tags, v)
		}
	}
	var changed []string
	var err error
	if t.typ == "add_tag" {
		changed, err = env.AddTags(ctx, call, tags)
	} else {
		changed, err = env.RemoveTags(ctx, call, tags)
	}
	if err != nil {
		return Result{}, err
	}
	if changed == nil {
		changed = []string{} // logged [] when nothing changed, not null
	}
	return Result{Output: map[string]any{"tags": tags, "changed": changed}}, nil
}
