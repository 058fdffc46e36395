package replay

import (
	"encoding/json"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/crmflow/crmflow/workflows"
)

// StepRef names a step of the user's workflow graph.
type StepRef struct {
	ID   string
	Type string
}

func (s StepRef) String() string {
	if s.Type == "" {
		return s.ID
	}
	return s.ID + " (" + s.Type + ")"
}

// stepNear maps the failing task (events[first..last]) to an interpreter
// step, best effort: only scheduled activities carry their StepInput (local
// activity markers record the result, not the input). It prefers the first
// step the failing task scheduled, then the last one scheduled before it,
// then the definition's start step (the LoadRun marker's result) when the
// run failed before any step was scheduled.
func stepNear(events []*historypb.HistoryEvent, first, last int) StepRef {
	for i := first; i <= last && i < len(events); i++ {
		if s, ok := stepOf(events[i]); ok {
			return s
		}
	}
	for i := first - 1; i >= 0; i-- {
		if s, ok := stepOf(events[i]); ok {
			return s
		}
	}
	for _, e := range events {
		if s, ok := startOf(e); ok {
			return s
		}
	}
	return StepRef{}
}

// stepOf reads the StepInput of an activity the interpreter scheduled.
func stepOf(e *historypb.HistoryEvent) (StepRef, bool) {
	if e.GetEventType() != enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
		return StepRef{}, false
	}
	payloads := e.GetActivityTaskScheduledEventAttributes().GetInput().GetPayloads()
	if len(payloads) == 0 {
		return StepRef{}, false
	}
	var in workflows.StepInput
	if err := json.Unmarshal(payloads[0].GetData(), &in); err != nil || in.Step.ID == "" {
		return StepRef{}, false
	}
	return StepRef{ID: in.Step.ID, Type: in.Step.Type}, true
}

// localActivityMarker is the part of the SDK's local activity marker data
// that names the activity.
type localActivityMarker struct {
	ActivityType string
}

// startOf reads the start step from the LoadRun local activity's marker.
func startOf(e *historypb.HistoryEvent) (StepRef, bool) {
	if e.GetEventType() != enumspb.EVENT_TYPE_MARKER_RECORDED {
		return StepRef{}, false
	}
	details := e.GetMarkerRecordedEventAttributes().GetDetails()
	data, result := details["data"].GetPayloads(), details["result"].GetPayloads()
	if len(data) == 0 || len(result) == 0 {
		return StepRef{}, false
	}
	var m localActivityMarker
	if json.Unmarshal(data[0].GetData(), &m) != nil || m.ActivityType != workflows.ActivityLoadRun {
		return StepRef{}, false
	}
	var loaded workflows.LoadRunResult
	if json.Unmarshal(result[0].GetData(), &loaded) != nil || loaded.Definition.Start == "" {
		return StepRef{}, false
	}
	s := StepRef{ID: loaded.Definition.Start}
	for _, st := range loaded.Definition.Steps {
		if st.ID == s.ID {
			s.Type = st.Type
		}
	}
	return s, true
}
