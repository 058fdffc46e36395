package history

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
)

// Sizes of the benchmark's log: 100,000 enrollments of 10 steps each,
// step benchSplit an A/B split, step benchGoal a goal every third
// enrollment reaches.
const (
	benchEnrollments = 100_000
	benchSteps       = 10
	benchSplit       = 5
	benchGoal        = 8
)

// BenchmarkStatsMillionSteps fills a test database (SQLite, or PostgreSQL
// with CRMFLOW_TEST_DATABASE_URL) with 1,000,000 execution-log rows of one
// workflow by bulk INSERT ... SELECT, then times the statistics query over
// everything and over one day, and logs the query plans: the per-step and
// per-status counts must come from covering indexes (no table rows read),
// the split's branches from an index search (only the split's rows read).
// Run it with: go test -run '^$' -bench StatsMillionSteps -benchtime 5x ./internal/history/
func BenchmarkStatsMillionSteps(b *testing.B) {
	db := testdb.Open(b)
	svc := &Service{DB: db}
	acct, wf := models.NewID(), models.NewID()
	fill(b, db, acct, wf)

	day := time.Unix(benchEpoch, 0).UTC().Add(10 * 24 * time.Hour)
	next := day.Add(24 * time.Hour)
	for _, c := range []struct {
		name     string
		from, to *time.Time
	}{{"all", nil, nil}, {"one-day", &day, &next}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			var st *Stats
			var err error
			for b.Loop() {
				if st, err = svc.Stats(ctx, StatsFilter{AccountID: acct, WorkflowID: wf, From: c.from, To: c.to}); err != nil {
					b.Fatal(err)
				}
			}
			var visits int64
			for _, s := range st.Steps {
				visits += s.Executed + s.Failed + s.Waiting + s.Skipped + s.Running
			}
			b.ReportMetric(float64(visits), "log-rows-counted")
			if c.from == nil && (st.Enrolled != benchEnrollments || visits != benchEnrollments*benchSteps) {
				b.Fatalf("counted %d enrollments and %d visits", st.Enrolled, visits)
			}
			split := fmt.Sprintf("s%d", benchSplit)
			if br := st.Branches[split]; br["A"]+br["B"] != st.Steps[split].Executed || (c.from == nil && br["A"] != benchEnrollments/2) {
				b.Fatalf("split %+v counted branches %v", st.Steps[split], br)
			}
			if bg := st.BranchGoals[split]; c.from == nil && (bg["A"]+bg["B"] != st.GoalReached || st.GoalReached != (benchEnrollments+2)/3) {
				b.Fatalf("%d reached the goal, counted by branch %v", st.GoalReached, bg)
			}
		})
	}
	explain(b, db, wf)
}

// benchEpoch is when the benchmark's first enrollment started; one starts
// every 86 seconds, so the log spans 100 days.
const benchEpoch = 1_740_000_000

// fill bulk-inserts the enrollments and their steps with one INSERT ...
// SELECT each: rows never pass through Go.
func fill(b *testing.B, db *gorm.DB, acct, wf string) {
	b.Helper()
	start := time.Now()
	def := `{"name":"Bench","start":"s0","steps":[` + func() string {
		var parts []string
		for k := 0; k < benchSteps; k++ {
			typ, config := "add_tag", `{}`
			switch k {
			case 0:
				typ = "send_sms"
			case benchSplit:
				typ, config = "split", `{"paths":[{"name":"A","percent":50},{"name":"B","percent":50}]}`
			case benchGoal:
				typ, config = "goal", `{"events":[{"type":"payment_received"}],"if_unmet":"continue"}`
			}
			parts = append(parts, fmt.Sprintf(`{"id":"s%d","type":"%s","config":%s}`, k, typ, config))
		}
		return strings.Join(parts, ",")
	}() + `]}`
	mustCreate(b, db, &models.Account{ID: acct, Name: "bench"})
	mustCreate(b, db, &models.Workflow{ID: wf, AccountID: acct, Name: "Bench", Status: models.WorkflowPublished, Version: 1, Definition: []byte(def)})
	mustCreate(b, db, &models.WorkflowVersion{ID: models.NewID(), AccountID: acct, WorkflowID: wf, Version: 1, Definition: []byte(def), PublishedAt: time.Now()})

	pg := models.IsPostgres(db)
	series := func(n int) string {
		if pg {
			return fmt.Sprintf("(SELECT generate_series(0, %d) AS n) seq", n-1)
		}
		return fmt.Sprintf("(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < %d) SELECT n FROM s) seq", n-1)
	}
	id := func(prefix, expr string) string {
		if pg {
			return fmt.Sprintf("'%s' || lpad((%s)::text, 12, '0')", prefix, expr)
		}
		return fmt.Sprintf("printf('%s%%012d', %s)", prefix, expr)
	}
	at := func(seconds string) string {
		if pg {
			return "to_timestamp(" + seconds + ")"
		}
		return "strftime('%Y-%m-%d %H:%M:%S', " + seconds + ", 'unixepoch') || '+00:00'"
	}
	// Every tenth enrollment failed at its last step, every tenth+1 waits there.
	enrollStatus := "CASE n % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'waiting' ELSE 'completed' END"
	started := fmt.Sprintf("%d + n * 86", benchEpoch)
	finished := "CASE n % 10 WHEN 1 THEN NULL ELSE " + at(started+" + 60") + " END"
	err := db.Exec(fmt.Sprintf(`INSERT INTO enrollments (id, account_id, workflow_id, contact_id, entry_key, version, status, started_at, finished_at)
		SELECT %s, '%s', '%s', %s, 'e' || n, 1, %s, %s, %s FROM %s`,
		id("00000000-0000-7000-8000-", "n"), acct, wf, id("00000000-0000-7000-9000-", "n % 5000"), enrollStatus,
		at(started), finished, series(benchEnrollments))).Error
	if err != nil {
		b.Fatalf("inserting enrollments: %v", err)
	}
	// Row i is step i % 10 of enrollment i / 10.
	e, k := "(n / 10)", "(n % 10)"
	// The goal is met by every third enrollment, skipped (unmet) by the others.
	stepStatus := fmt.Sprintf("CASE WHEN %s = %d AND %s %% 3 <> 0 THEN 'skipped' WHEN %s < 9 THEN 'completed' WHEN %s %% 10 = 0 THEN 'failed' WHEN %s %% 10 = 1 THEN 'waiting' ELSE 'completed' END",
		k, benchGoal, e, k, e, e)
	stepType := fmt.Sprintf("CASE %s WHEN 0 THEN 'send_sms' WHEN %d THEN 'split' WHEN %d THEN 'goal' ELSE 'add_tag' END", k, benchSplit, benchGoal)
	// Even enrollments take the split's path A, odd ones B.
	output := fmt.Sprintf(`CASE WHEN %s = %d THEN CASE %s %% 2 WHEN 0 THEN '{"branch":"A"}' ELSE '{"branch":"B"}' END END`, k, benchSplit, e)
	err = db.Exec(fmt.Sprintf(`INSERT INTO step_executions (id, account_id, workflow_id, enrollment_id, contact_id, step_id, visit, step_type, status, attempts, started_at, output)
		SELECT %s, '%s', '%s', %s, %s, 's' || %s, 1, %s, %s, 1, %s, %s FROM %s`,
		id("00000000-0000-7000-a000-", "n"), acct, wf, id("00000000-0000-7000-8000-", e), id("00000000-0000-7000-9000-", e+" % 5000"),
		k, stepType, stepStatus, at(fmt.Sprintf("%d + %s * 86 + %s * 6", benchEpoch, e, k)), output, series(benchEnrollments*benchSteps))).Error
	if err != nil {
		b.Fatalf("inserting step executions: %v", err)
	}
	if pg {
		// Index-only scans need the visibility map, and the planner fresh statistics.
		db.Exec("VACUUM ANALYZE enrollments")
		db.Exec("VACUUM ANALYZE step_executions")
	} else {
		db.Exec("ANALYZE")
	}
	b.Logf("inserted %d enrollments and %d step executions in %s", benchEnrollments, benchEnrollments*benchSteps, time.Since(start).Round(time.Millisecond))
}

// explain logs how the database answers the two big counts and the
// split's branches, and on PostgreSQL how many rows each read.
func explain(b *testing.B, db *gorm.DB, wf string) {
	b.Helper()
	branch := jsonText(db, "output", "branch")
	queries := []string{
		fmt.Sprintf("SELECT step_id, status, COUNT(*) AS n FROM step_executions WHERE workflow_id = '%s' GROUP BY step_id, status", wf),
		fmt.Sprintf("SELECT status, COUNT(*) AS n FROM enrollments WHERE workflow_id = '%s' GROUP BY status", wf),
		fmt.Sprintf("SELECT step_id, %s AS branch, COUNT(*) AS n FROM step_executions WHERE workflow_id = '%s' AND step_id IN ('s%d') "+
			"AND status = 'completed' AND step_type IN ('split', 'if_else') GROUP BY step_id, %s", branch, wf, benchSplit, branch),
		fmt.Sprintf("SELECT step_id, %s AS branch, COUNT(DISTINCT enrollment_id) AS n FROM step_executions AS v WHERE workflow_id = '%s' AND step_id IN ('s%d') "+
			"AND status = 'completed' AND step_type IN ('split', 'if_else') AND started_at >= '%s' AND EXISTS (SELECT 1 FROM step_executions "+
			"WHERE workflow_id = '%s' AND step_id IN ('s%d') AND status = 'completed' AND step_type = 'goal' AND enrollment_id = v.enrollment_id) GROUP BY step_id, %s",
			branch, wf, benchSplit, time.Unix(benchEpoch, 0).UTC().Add(99*24*time.Hour).Format("2006-01-02 15:04:05"), wf, benchGoal, branch),
	}
	prefix := "EXPLAIN QUERY PLAN "
	if models.IsPostgres(db) {
		prefix = "EXPLAIN (ANALYZE, BUFFERS) "
	}
	for _, q := range queries {
		rows, err := db.Raw(prefix + q).Rows()
		if err != nil {
			b.Fatalf("explaining %s: %v", q, err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		b.Logf("%s\n  %s", q, strings.Join(plan, "\n  "))
	}
}
