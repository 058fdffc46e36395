package api

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestContactLifecycle(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": " Ada@Example.com ", "phone": "+1 (415) 555-0123",
		"timezone": "Europe/London", "tags": []string{"vip", "lead"}, "custom": map[string]any{"plan": "pro", "seats": 3},
		"dnd": map[string]any{"sms": true}, "assigned_user_id": "u1", "stripe_customer_id": "cus_1", "date_of_birth": "1815-12-10",
	})
	want := map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+14155550123",
		"timezone": "Europe/London", "tags": []any{"lead", "vip"}, "custom": map[string]any{"plan": "pro", "seats": 3.0},
		"dnd": map[string]any{"sms": true, "email": false}, "assigned_user_id": "u1", "stripe_customer_id": "cus_1",
		"date_of_birth": "1815-12-10",
	}
	for k, w := range want {
		if !reflect.DeepEqual(c[k], w) {
			t.Errorf("%s = %#v, want %#v", k, c[k], w)
		}
	}
	id := c["id"].(string)

	got := v.do(http.MethodGet, "/v1/contacts/"+id, nil).expect(http.StatusOK).obj()
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("GET = %v\nwant %v", got, c)
	}

	upd := v.do(http.MethodPatch, "/v1/contacts/"+id, map[string]any{
		"last_name": "King", "custom": map[string]any{"plan": nil, "team": "a"}, "assigned_user_id": "", "dnd": map[string]any{"email": true},
	}).expect(http.StatusOK).obj()
	if upd["last_name"] != "King" || upd["first_name"] != "Ada" || upd["assigned_user_id"] != nil ||
		!reflect.DeepEqual(upd["custom"], map[string]any{"seats": 3.0, "team": "a"}) ||
		!reflect.DeepEqual(upd["dnd"], map[string]any{"sms": true, "email": true}) {
		t.Fatalf("after PATCH: %v", upd)
	}

	v.do(http.MethodDelete, "/v1/contacts/"+id, nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/contacts/"+id, nil).problem(http.StatusNotFound)
	v.do(http.MethodDelete, "/v1/contacts/"+id, nil).problem(http.StatusNotFound)
}

func TestContactCreateFiresEvents(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{"email": "a@example.com", "tags": []string{"lead"}})
	if n := count[models.Event](t, v.db, "contact_id = ? AND type IN ?", c["id"], []string{"contact_created", "contact_tag_added"}); n != 2 {
		t.Fatalf("%d events raised; want contact_created and contact_tag_added", n)
	}
}

func TestContactBadInput(t *testing.T) {
	v := newEnv(t)
	cases := []struct {
		name string
		body any
		path []string
	}{
		{"nothing to name or reach", map[string]any{"timezone": "UTC"}, []string{"email"}},
		{"empty", map[string]any{}, []string{"email"}},
		{"bad email", map[string]any{"email": "not-an-email"}, []string{"email"}},
		{"bad phone", map[string]any{"phone": "12"}, []string{"phone"}},
		{"bad timezone", map[string]any{"email": "a@b.co", "timezone": "Mars/Base"}, []string{"timezone"}},
		{"bad date", map[string]any{"email": "a@b.co", "date_of_birth": "10/12/1815"}, []string{"date_of_birth"}},
		{"empty tag", map[string]any{"email": "a@b.co", "tags": []string{"ok", " "}}, []string{"tags[1]"}},
		{"bad custom key", map[string]any{"email": "a@b.co", "custom": map[string]any{"a.b": 1}}, []string{"custom.a.b"}},
		{"several", map[string]any{"email": "x", "phone": "1", "timezone": "Nope"}, []string{"email", "phone", "timezone"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantPaths(t, v.do(http.MethodPost, "/v1/contacts", tc.body).problem(http.StatusUnprocessableEntity), tc.path...)
		})
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Fatalf("%d contacts saved from bad input", n)
	}

	id := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	wantPaths(t, v.do(http.MethodPatch, "/v1/contacts/"+id, `{"email": "nope"}`).problem(http.StatusUnprocessableEntity), "email")
	wantPaths(t, v.do(http.MethodPatch, "/v1/contacts/"+id, `{"nick": "A"}`).problem(http.StatusUnprocessableEntity), "nick")
	wantPaths(t, v.do(http.MethodPatch, "/v1/contacts/"+id, `{"tags": "vip"}`).problem(http.StatusUnprocessableEntity), "tags")
	v.do(http.MethodPatch, "/v1/contacts/"+id, `{"email": `).problem(http.StatusBadRequest)
	if got := v.do(http.MethodGet, "/v1/contacts/"+id, nil).obj(); got["email"] != "" {
		t.Fatalf("a rejected PATCH changed the contact: %v", got)
	}
}

func TestContactBadIDs(t *testing.T) {
	v := newEnv(t)
	for _, id := range []string{"nope", models.NewID(), "%20"} {
		v.do(http.MethodGet, "/v1/contacts/"+id, nil).problem(http.StatusNotFound)
		v.do(http.MethodPatch, "/v1/contacts/"+id, `{"first_name": "A"}`).problem(http.StatusNotFound)
		v.do(http.MethodDelete, "/v1/contacts/"+id, nil).problem(http.StatusNotFound)
		v.do(http.MethodPost, "/v1/contacts/"+id+"/tags", `{"tags": ["a"]}`).problem(http.StatusNotFound)
		v.do(http.MethodDelete, "/v1/contacts/"+id+"/tags/a", nil).problem(http.StatusNotFound)
	}
}

func TestContactTags(t *testing.T) {
	v := newEnv(t)
	id := v.createContact(map[string]any{"first_name": "Ada", "tags": []string{"vip"}})["id"].(string)

	got := v.do(http.MethodPost, "/v1/contacts/"+id+"/tags", map[string]any{"tags": []string{"lead", "VIP", "a/b"}}).
		expect(http.StatusOK).obj()
	if !reflect.DeepEqual(got["tags"], []any{"a/b", "lead", "vip"}) {
		t.Fatalf("tags = %v", got["tags"])
	}
	if n := count[models.Event](t, v.db, "contact_id = ? AND type = ?", id, "contact_tag_added"); n != 3 {
		t.Fatalf("%d contact_tag_added events; want 3 (vip, lead, a/b)", n)
	}

	got = v.do(http.MethodDelete, "/v1/contacts/"+id+"/tags/LEAD", nil).expect(http.StatusOK).obj()
	if !reflect.DeepEqual(got["tags"], []any{"a/b", "vip"}) {
		t.Fatalf("tags after removing LEAD = %v", got["tags"])
	}
	got = v.do(http.MethodDelete, "/v1/contacts/"+id+"/tags/"+url.PathEscape("a/b"), nil).expect(http.StatusOK).obj()
	if !reflect.DeepEqual(got["tags"], []any{"vip"}) {
		t.Fatalf("tags after removing a/b = %v", got["tags"])
	}
	// Removing a tag the contact lacks changes nothing.
	v.do(http.MethodDelete, "/v1/contacts/"+id+"/tags/never", nil).expect(http.StatusOK)
	if n := count[models.Event](t, v.db, "contact_id = ? AND type = ?", id, "contact_tag_removed"); n != 2 {
		t.Fatalf("%d contact_tag_removed events; want 2", n)
	}

	for body, path := range map[string]string{
		`{}`:                  "tags",
		`{"tags": []}`:        "tags",
		`{"tags": "vip"}`:     "tags",
		`{"tags": ["", "a"]}`: "tags[0]",
		`{"tags": [1]}`:       "tags[0]",
		`{"tag": ["a"]}`:      "tag",
	} {
		wantPaths(t, v.do(http.MethodPost, "/v1/contacts/"+id+"/tags", body).problem(http.StatusUnprocessableEntity), path)
	}
}

func TestContactFilters(t *testing.T) {
	v := newEnv(t)
	ada := v.createContact(map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "tags": []string{"VIP"}})
	bob := v.createContact(map[string]any{"first_name": "Bob", "phone": "+14155550123", "tags": []string{"lead"}})
	cy := v.createContact(map[string]any{"first_name": "Cy_", "email": "cy@other.org", "tags": []string{"lead", "vip"}})
	v.createContactAs(v.otherKey, map[string]any{"first_name": "Ada", "email": "ada@example.com", "tags": []string{"vip"}})

	ids := func(query string) []string {
		t.Helper()
		var l List[ContactAnswer]
		v.do(http.MethodGet, "/v1/contacts"+query, nil).expect(http.StatusOK).decode(&l)
		out := []string{}
		for _, c := range l.Items {
			out = append(out, c.ID)
		}
		return out
	}
	a, b, c := ada["id"].(string), bob["id"].(string), cy["id"].(string)
	cases := map[string][]string{
		"":                          {a, b, c},
		"?email=ADA@example.com":    {a},
		"?phone=(415)%20555-0123":   {b},
		"?phone=%2B14155550123":     {b},
		"?tag=vip":                  {a, c},
		"?tag=LEAD":                 {b, c},
		"?q=love":                   {a},
		"?q=ada%20lovelace":         {a},
		"?q=other.org":              {c},
		"?q=555-01":                 {b},
		"?q=y_":                     {c},
		"?q=%25":                    {},
		"?tag=lead&q=bob":           {b},
		"?email=nobody@example.com": {},
	}
	for q, want := range cases {
		if got := ids(q); !reflect.DeepEqual(got, want) {
			t.Errorf("GET /v1/contacts%s = %v, want %v", q, got, want)
		}
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/contacts?phone=12", nil).problem(http.StatusBadRequest), "phone")
}

// Shape faults (an unknown field, a wrong type) come with the faults of
// the rest of the body in one answer; nothing is saved.
func TestCreateContactNamesShapeAndValueFaultsTogether(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/contacts", `{"first_name": 5, "nickname": "Ada", "email": "not-an-email", "phone": "12"}`).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "first_name", "nickname", "email", "phone")
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Errorf("%d contacts saved", n)
	}
	ada := v.createContact(map[string]any{"first_name": "Ada"})
	p = v.do(http.MethodPatch, "/v1/contacts/"+str(ada["id"]), `{"last_name": ["x"], "email": "nope", "Phone": "1"}`).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "last_name", "email", "Phone")
	if got := v.do(http.MethodGet, "/v1/contacts/"+str(ada["id"]), nil).expect(http.StatusOK).obj(); got["email"] != "" || got["first_name"] != "Ada" {
		t.Errorf("the refused patch changed the contact: %v", got)
	}
	v.do(http.MethodPatch, "/v1/contacts/nobody", `{"nickname": 1}`).problem(http.StatusNotFound)
}
