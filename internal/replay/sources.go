package replay

import (
	"context"
	"fmt"
	"os"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// File reads a JSON history, as `temporal workflow show --output json`
// writes it and as workflows/testdata/histories holds it.
func File(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening history %s: %w", path, err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading history %s: %w", path, err)
	}
	return h, nil
}

// Fetch reads the full history of one run from the server (runID empty:
// the latest run of workflowID).
func Fetch(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("fetching the history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// Run identifies one Temporal run.
type Run struct {
	WorkflowID, RunID string
}

// Source is how a run is named in the command's output.
func (r Run) Source() string { return r.WorkflowID + "/" + r.RunID }

// RunsQuery is the visibility query for the runs of one crmflow workflow
// (by the CrmWorkflowId search attribute every enrollment carries); with
// failedOnly, only runs that Temporal itself recorded as failed.
func RunsQuery(crmWorkflowID string, failedOnly bool) (string, error) {
	// Ids are UUIDs; refusing quotes and backslashes keeps the id from
	// changing the query.
	if crmWorkflowID == "" || strings.ContainsAny(crmWorkflowID, `"\`) {
		return "", fmt.Errorf("invalid crmflow workflow id %q", crmWorkflowID)
	}
	q := fmt.Sprintf(`CrmWorkflowId=%q`, crmWorkflowID)
	if failedOnly {
		q += ` AND ExecutionStatus="Failed"`
	}
	return q, nil
}

// Runs lists every run matching a visibility query, all pages.
func Runs(ctx context.Context, c client.Client, query string) ([]Run, error) {
	var runs []Run
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing runs where %s: %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			runs = append(runs, Run{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId()})
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return runs, nil
		}
	}
}
