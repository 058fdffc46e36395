package simulation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/simulation"
)

// BenchmarkSimulateSixWeeks: a 6-week nurture of 6 texts, each after a 1w
// wait, inside a weekday window in New York, with a branch on a tag. It
// reports the real time one simulation takes and the simulated steps.
//
//	go test -run '^$' -bench SimulateSixWeeks ./internal/simulation/
func BenchmarkSimulateSixWeeks(b *testing.B) {
	f := newFixture(b)
	var steps []string
	for i := 1; i <= 6; i++ {
		next := fmt.Sprintf("w%d", i+1)
		if i == 6 {
			next = "b"
		}
		steps = append(steps,
			fmt.Sprintf(`{"id": "w%d", "type": "wait", "config": {"mode": "delay", "duration": "1w"}, "next": "s%d"}`, i, i),
			fmt.Sprintf(`{"id": "s%d", "type": "send_sms", "config": {"body": "Week %d, {{contact.first_name}}"}, "next": %q}`, i, i, next))
	}
	steps = append(steps,
		`{"id": "b", "type": "if_else", "config": {"branches": [{"name": "vip", "when": {"field": "contact.tags", "op": "has_tag", "value": "vip"}, "next": "v"}], "else": "n"}}`,
		`{"id": "v", "type": "add_tag", "config": {"tags": ["vip-done"]}}`,
		`{"id": "n", "type": "add_tag", "config": {"tags": ["done"]}}`)
	def := `{"name": "six weeks", "settings": {"timezone": "America/New_York", "time_window": {"days": ["mon","tue","wed","thu","fri"], "start": "09:00", "end": "17:00"}},
		"triggers": [], "start": "w1", "steps": [` + strings.Join(steps, ",") + `]}`
	req := f.request(def)
	var res *simulation.Result
	b.ResetTimer()
	for b.Loop() {
		var err error
		if res, err = f.sim.Run(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if res.Status != "completed" || len(res.Messages) != 6 {
		b.Fatalf("simulation ended %s with %d messages", res.Status, len(res.Messages))
	}
	b.ReportMetric(float64(len(res.Steps)), "steps/op")
	b.ReportMetric(res.EndedAt.Sub(res.StartedAt).Hours()/24, "simulated-days/op")
}
