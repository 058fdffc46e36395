package metrics

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// Temporal returns a client.MetricsHandler that records the Temporal SDK's
// own metrics (temporal_request, temporal_workflow_task_execution_latency...)
// on the registry: counters as counters, gauges as gauges, timers as
// histograms in seconds. Without this adapter the SDK would need the tally
// contrib module, one more dependency for the same result.
func (m *Metrics) Temporal() client.MetricsHandler {
	if m == nil {
		return client.MetricsNopHandler
	}
	return &temporalHandler{vecs: m.temporal}
}

// temporalHandler is one set of tags over the shared vectors.
type temporalHandler struct {
	vecs *temporalVecs
	tags map[string]string
}

func (h *temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return &temporalHandler{vecs: h.vecs, tags: merged}
}

func (h *temporalHandler) Counter(name string) client.MetricsCounter {
	v := h.vecs.get(name, kindCounter, h.tags)
	if v == nil {
		return client.MetricsNopHandler.Counter(name)
	}
	c := v.counter.With(v.labels(h.tags))
	return counterFunc(func(d int64) {
		if d > 0 { // a Prometheus counter only goes up
			c.Add(float64(d))
		}
	})
}

func (h *temporalHandler) Gauge(name string) client.MetricsGauge {
	v := h.vecs.get(name, kindGauge, h.tags)
	if v == nil {
		return client.MetricsNopHandler.Gauge(name)
	}
	g := v.gauge.With(v.labels(h.tags))
	return gaugeFunc(g.Set)
}

func (h *temporalHandler) Timer(name string) client.MetricsTimer {
	v := h.vecs.get(name, kindTimer, h.tags)
	if v == nil {
		return client.MetricsNopHandler.Timer(name)
	}
	o := v.timer.With(v.labels(h.tags))
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

type metricKind int

const (
	kindCounter metricKind = iota
	kindGauge
	kindTimer
)

// temporalVecs creates a vector per metric name on first use. Prometheus
// fixes a metric's label names when it is registered, while the SDK may
// emit one name with different tag sets: the first tag set seen fixes the
// labels; later tags missing from it are dropped and labels missing from
// the tags are left empty.
type temporalVecs struct {
	reg    prometheus.Registerer
	mu     sync.Mutex
	byName map[string]*temporalVec // nil entry: the name could not be registered
}

type temporalVec struct {
	kind    metricKind
	names   []string // label names, sanitized, sorted
	sources []string // the tag each label comes from
	counter *prometheus.CounterVec
	gauge   *prometheus.GaugeVec
	timer   *prometheus.HistogramVec
}

func (t *temporalVecs) get(name string, kind metricKind, tags map[string]string) *temporalVec {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.byName[name]; ok {
		if v == nil || v.kind != kind {
			return nil // one name used as two kinds: keep the first
		}
		return v
	}
	v := &temporalVec{kind: kind}
	for _, tag := range slices.Sorted(maps.Keys(tags)) {
		v.sources = append(v.sources, tag)
		v.names = append(v.names, sanitize(tag))
	}
	fq := sanitize(name)
	help := "Temporal SDK metric " + name + "."
	var c prometheus.Collector
	switch kind {
	case kindCounter:
		v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: fq, Help: help}, v.names)
		c = v.counter
	case kindGauge:
		v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: fq, Help: help}, v.names)
		c = v.gauge
	case kindTimer:
		v.timer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: fq, Help: help + " In seconds.",
			Buckets: prometheus.DefBuckets}, v.names)
		c = v.timer
	}
	if err := t.reg.Register(c); err != nil {
		// A clash with a name already taken, or labels Prometheus refuses:
		// losing one SDK metric beats failing the worker.
		t.byName[name] = nil
		return nil
	}
	t.byName[name] = v
	return v
}

// labels are the vector's label values from tags.
func (v *temporalVec) labels(tags map[string]string) prometheus.Labels {
	l := make(prometheus.Labels, len(v.names))
	for i, n := range v.names {
		l[n] = tags[v.sources[i]]
	}
	return l
}

// sanitize makes a metric or label name of [a-zA-Z0-9_], not starting with a digit.
func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
