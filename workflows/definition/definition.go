// Package definition holds the workflow definition format of the public
// contract (triggers, steps, settings) and the rules that check it. It is pure
// data and code: the API validates with it and the interpreter walks it.
package definition

import (
	"encoding/json"

	"github.com/crmflow/crmflow/workflows/condition"
)

// Definition is a workflow as builders write it (contract.md, "Workflow definition").
type Definition struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	FolderID    *string   `json:"folder_id"`
	Settings    Settings  `json:"settings"`
	Triggers    []Trigger `json:"triggers"`
	Start       string    `json:"start"`
	Steps       []Step    `json:"steps"`
}

// Settings are the enrollment settings of a workflow.
type Settings struct {
	AllowReentry   bool        `json:"allow_reentry"`
	StopOnResponse bool        `json:"stop_on_response"`
	Timezone       string      `json:"timezone"`
	TimeWindow     *TimeWindow `json:"time_window"`
	Sender         Sender      `json:"sender"`
}

// TimeWindow limits communication steps to some days and hours.
type TimeWindow struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// Sender holds the default from-details of messages.
type Sender struct {
	FromName   string `json:"from_name"`
	FromEmail  string `json:"from_email"`
	FromNumber string `json:"from_number"`
}

// Trigger starts enrollments when a matching event happens.
type Trigger struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Name    string          `json:"name,omitempty"`
	Filters *condition.Node `json:"filters,omitempty"`
	Config  json.RawMessage `json:"config,omitempty"`
}

// Step is one node of the graph.
type Step struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Name      string          `json:"name,omitempty"`
	Config    json.RawMessage `json:"config,omitempty"`
	Next      string          `json:"next,omitempty"`
	Disabled  bool            `json:"disabled,omitempty"`
	Retry     *RetryPolicy    `json:"retry,omitempty"`
	OnFailure string          `json:"on_failure,omitempty"`
}

// RetryPolicy overrides the default retries of an action step.
type RetryPolicy struct {
	MaxAttempts     int     `json:"max_attempts,omitempty"`
	InitialInterval string  `json:"initial_interval,omitempty"`
	Backoff         float64 `json:"backoff,omitempty"`
}

// StepByID returns the step with that id.
func (d *Definition) StepByID(id string) (*Step, bool) {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i], true
		}
	}
	return nil, false
}

// StepIndex maps step ids to their index, for quick lookups while walking.
func (d *Definition) StepIndex() map[string]int {
	idx := make(map[string]int, len(d.Steps))
	for i, s := range d.Steps {
		idx[s.ID] = i
	}
	return idx
}
