package api

import (
	"fmt"
	"net/http"
	"testing"
)

func TestPaginationWalk(t *testing.T) {
	v := newEnv(t)
	want := map[string]bool{}
	for i := range 7 {
		want[v.createContact(map[string]any{"first_name": fmt.Sprint("c", i)})["id"].(string)] = true
	}
	v.createContactAs(v.otherKey, map[string]any{"first_name": "theirs"})

	seen := map[string]int{}
	var order []string
	cursor, pages := "", 0
	for {
		path := "/v1/contacts?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var l List[ContactAnswer]
		v.do(http.MethodGet, path, nil).expect(http.StatusOK).decode(&l)
		pages++
		if len(l.Items) > 3 {
			t.Fatalf("page of %d items with limit=3", len(l.Items))
		}
		for _, c := range l.Items {
			seen[c.ID]++
			order = append(order, c.ID)
		}
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
		if pages > 10 {
			t.Fatal("the cursor never ends")
		}
	}
	if pages != 3 || len(seen) != 7 {
		t.Fatalf("%d pages, %d contacts; want 3 pages covering 7", pages, len(seen))
	}
	for id, n := range seen {
		if !want[id] || n != 1 {
			t.Fatalf("contact %s seen %d times (ours: %v)", id, n, want[id])
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i-1] >= order[i] {
			t.Fatalf("not in id order: %v", order)
		}
	}
}

func TestPaginationExactFit(t *testing.T) {
	v := newEnv(t)
	for i := range 2 {
		v.createContact(map[string]any{"first_name": fmt.Sprint("c", i)})
	}
	var l List[ContactAnswer]
	v.do(http.MethodGet, "/v1/contacts?limit=2", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 || l.NextCursor != nil {
		t.Fatalf("limit equal to the count: %d items, next %v; want 2 and null", len(l.Items), l.NextCursor)
	}
	v.do(http.MethodGet, "/v1/contacts", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 {
		t.Fatalf("default page: %d items", len(l.Items))
	}
}

func TestPaginationDefaultsAndLimits(t *testing.T) {
	v := newEnv(t)
	for i := range defaultLimit + 1 {
		v.createContact(map[string]any{"first_name": fmt.Sprint("c", i)})
	}
	var l List[ContactAnswer]
	v.do(http.MethodGet, "/v1/contacts", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != defaultLimit || l.NextCursor == nil {
		t.Fatalf("default page: %d items, next %v", len(l.Items), l.NextCursor)
	}
	v.do(http.MethodGet, "/v1/contacts?limit=200", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != defaultLimit+1 || l.NextCursor != nil {
		t.Fatalf("limit=200: %d items, next %v", len(l.Items), l.NextCursor)
	}
}

func TestPaginationBadParams(t *testing.T) {
	v := newEnv(t)
	for _, path := range []string{"/v1/contacts", "/v1/workflows", "/v1/events", "/v1/messages"} {
		for _, q := range []string{"limit=0", "limit=201", "limit=-1", "limit=ten", "limit=1.5"} {
			wantPaths(t, v.do(http.MethodGet, path+"?"+q, nil).problem(http.StatusBadRequest), "limit")
		}
		for _, q := range []string{"cursor=abc", "cursor=%21%21", "cursor=" + encodeCursor("not-an-id")} {
			wantPaths(t, v.do(http.MethodGet, path+"?"+q, nil).problem(http.StatusBadRequest), "cursor")
		}
	}
}
