package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkInterpreterVsHandwritten reports enrollments per second of the
// interpreter and of a hand-written workflow making the same activity calls,
// on one embedded server in one run, and their ratio (goal: >= 0.9).
//
//	go test -run '^$' -bench InterpreterVsHandwritten -benchtime 1x ./internal/bench/
func BenchmarkInterpreterVsHandwritten(b *testing.B) {
	for b.Loop() {
		r, err := Run(context.Background(), Options{Enrollments: 200})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Interpreted.PerSecond, "interpreted-enrollments/s")
		b.ReportMetric(r.Handwritten.PerSecond, "handwritten-enrollments/s")
		b.ReportMetric(r.Ratio, "ratio")
		b.ReportMetric(float64(r.Interpreted.EventsPerHistory), "interpreted-events/enrollment")
		b.ReportMetric(float64(r.Handwritten.EventsPerHistory), "handwritten-events/enrollment")
		b.Log("\n" + r.String())
	}
}

// BenchmarkBoundedHistory runs one enrollment through a loop with a wait
// 10,000 times (CRMFLOW_BENCH_LOOPS to change) and reports the longest
// history of any of its runs (goal: under 2,000 events) and events per step.
//
//	go test -run '^$' -bench BoundedHistory -benchtime 1x -timeout 60m ./internal/bench/
func BenchmarkBoundedHistory(b *testing.B) {
	loops, _ := strconv.Atoi(os.Getenv("CRMFLOW_BENCH_LOOPS"))
	for b.Loop() {
		r, err := RunLoop(context.Background(), LoopOptions{Loops: loops})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.MaxRunEvents), "max-events/run")
		b.ReportMetric(r.EventsPerStep, "events/step")
		b.ReportMetric(float64(r.Runs), "runs")
		b.ReportMetric(r.LoopsPerSecond, "loops/s")
		b.Log("\n" + r.String())
	}
}
