package steps

import (
	"fmt"
	"math"
	"testing"
)

func TestSplitSharesFollowThePercentages(t *testing.T) {
	paths := []splitPath{{Name: "A", Percent: pct(20)}, {Name: "B", Percent: pct(30)}, {Name: "C", Percent: pct(50)}}
	const n = 20000
	counts := make([]int, len(paths))
	for i := 0; i < n; i++ {
		counts[choosePath(paths, Bucket(fmt.Sprintf("wf-1/contact-%d/s1", i)))]++
	}
	for i, p := range paths {
		share := float64(counts[i]) / n * 100
		if math.Abs(share-float64(p.share())) > 2 {
			t.Errorf("path %s got %.1f%%, want about %d%%", p.Name, share, p.share())
		}
	}
}

func TestSplitChoiceIsStableAndEdgesAreCovered(t *testing.T) {
	if Bucket("wf/contact/s") != Bucket("wf/contact/s") {
		t.Error("the same key chose two buckets")
	}
	paths := []splitPath{{Name: "A", Percent: pct(0)}, {Name: "B", Percent: pct(100)}}
	for b := 0; b < 100; b++ {
		if choosePath(paths, b) != 1 {
			t.Fatalf("bucket %d took a 0%% path", b)
		}
	}
	paths = []splitPath{{Name: "A", Percent: pct(50)}, {Name: "B", Percent: pct(50)}}
	if choosePath(paths, 49) != 0 || choosePath(paths, 50) != 1 {
		t.Error("50/50 split boundary is off")
	}
}

func pct(n int) *int { return &n }
