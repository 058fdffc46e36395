package triggers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(triggerLinkClicked{}) }

// TriggerLinkConfig is the optional config of trigger_link_clicked: only
// clicks on these links fire it (none listed: any link). Filters on
// event.link_id select the same way.
type TriggerLinkConfig struct {
	LinkIDs []string `json:"link_ids"`
}

// triggerLinkClicked fires when a contact opens their URL of a trigger link
// (GET /l/<code>); the event's data is {"link_id", "url"}.
type triggerLinkClicked struct{}

func (triggerLinkClicked) Type() string     { return "trigger_link_clicked" }
func (triggerLinkClicked) Events() []string { return []string{"trigger_link_clicked"} }

func (triggerLinkClicked) Validate(p *validation.Problems, t *definition.Trigger) {
	var cfg TriggerLinkConfig
	if !decodeTriggerConfig(p, t.Config, &cfg) {
		return
	}
	seen := map[string]bool{}
	for i, id := range cfg.LinkIDs {
		path := fmt.Sprintf("config.link_ids[%d]", i)
		switch {
		case strings.TrimSpace(id) == "":
			p.Add(path, "a link id cannot be empty")
		case seen[id]:
			p.Add(path, "duplicate link id %q", id)
		}
		seen[id] = true
	}
}

// Accepts narrows the trigger to its config's links.
func (triggerLinkClicked) Accepts(t *definition.Trigger, data map[string]any) bool {
	var cfg TriggerLinkConfig
	if len(bytes.TrimSpace(t.Config)) > 0 {
		if err := json.Unmarshal(t.Config, &cfg); err != nil {
			return false
		}
	}
	if len(cfg.LinkIDs) == 0 {
		return true
	}
	id, _ := data["link_id"].(string)
	return slices.Contains(cfg.LinkIDs, id)
}

// decodeTriggerConfig decodes a trigger's config strictly, naming every
// unknown field and wrong type at config.<path>. An absent config is {}.
func decodeTriggerConfig(p *validation.Problems, raw json.RawMessage, dst any) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	v, err := validation.Decode(raw)
	if err != nil {
		p.Add("config", "invalid config: %v", err)
		return false
	}
	if _, ok := v.(map[string]any); !ok {
		p.Add("config", "must be an object, not %s", validation.JSONType(v))
		return false
	}
	if errs := validation.Shape(v, reflect.TypeOf(dst).Elem()); len(errs) > 0 {
		for _, e := range errs {
			p.Add(validation.JoinPath("config", e.Path), "%s", e.Message)
		}
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		p.Add("config", "invalid config: %v", err)
		return false
	}
	return true
}
