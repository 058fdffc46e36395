package steps

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/crmflow/crmflow/workflows/definition"
)

// Every step type that names users, pipelines, stages or workflows by id
// lists them (literal ids only), even when another field is faulty.
func TestReferencesListLiteralIDs(t *testing.T) {
	self := "a workflow cannot add its contact to itself: " +
		"the contact is still in it when the step runs, so it would always be skipped; use a goto step to loop"
	for _, tc := range []struct {
		typ, config string
		want        []Reference
	}{
		{"assign_user", `{"user_ids": ["u1", "{{contact.custom.owner}}", " u2 "], "mode": 7}`, []Reference{
			{Path: "config.user_ids[0]", Kind: RefUser, ID: "u1"}, {Path: "config.user_ids[2]", Kind: RefUser, ID: "u2"}}},
		{"internal_notification", `{"channel": "email", "user_ids": ["u1"], "body": "hi"}`, []Reference{
			{Path: "config.user_ids[0]", Kind: RefUser, ID: "u1"}}},
		{"add_task", `{"title": "call", "assignee_id": "u1"}`, []Reference{{Path: "config.assignee_id", Kind: RefUser, ID: "u1"}}},
		{"add_task", `{"title": "call", "assignee_id": "{{contact.assigned_user_id}}"}`, nil},
		{"create_opportunity", `{"pipeline_id": "p1", "stage_id": "s1"}`, []Reference{
			{Path: "config.pipeline_id", Kind: RefPipeline, ID: "p1"}, {Path: "config.stage_id", Kind: RefStage, ID: "s1", Pipeline: "p1"}}},
		{"create_opportunity", `{"pipeline_id": "{{event.pipeline_id}}", "stage_id": "s1"}`, []Reference{
			{Path: "config.stage_id", Kind: RefStage, ID: "s1"}}},
		{"update_opportunity", `{"pipeline_id": "p1", "stage_id": "s1", "bogus": 1}`, []Reference{
			{Path: "config.pipeline_id", Kind: RefPipeline, ID: "p1"}, {Path: "config.stage_id", Kind: RefStage, ID: "s1", Pipeline: "p1"}}},
		{"remove_opportunity", `{"pipeline_id": "p1"}`, []Reference{{Path: "config.pipeline_id", Kind: RefPipeline, ID: "p1"}}},
		{"remove_opportunity", `{}`, nil},
		{"add_to_workflow", `{"workflow_id": "w1"}`, []Reference{{Path: "config.workflow_id", Kind: RefWorkflow, ID: "w1", SelfFault: self}}},
		{"remove_from_workflow", `{"workflow_id": "w1"}`, []Reference{{Path: "config.workflow_id", Kind: RefWorkflow, ID: "w1"}}},
		{"remove_from_workflow", ``, nil},
		{"send_sms", `{"body": "u1"}`, nil},
	} {
		got := References(&definition.Step{ID: "a", Type: tc.typ, Config: json.RawMessage(tc.config)})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s: %+v, want %+v", tc.typ, tc.config, got, tc.want)
		}
	}
}
