package bench

import (
	"context"
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
