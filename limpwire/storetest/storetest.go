// Package storetest is the behaviour every limpwire.Store must show: the
// query language of LIMP 6.0 (section 8 of docs/protocols/limp.md) with
// MongoDB's semantics, updates, soft and hard deletes, copies, contexts
// and concurrency. The memory store and the MongoDB store both run it:
//
//	storetest.Run(t, func(t *testing.T) limpwire.Store { return limpwire.NewMemoryStore() }, storetest.Caps{TextSearch: true})
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/limpwire"
)

// Caps says which optional features a store has.
type Caps struct {
	// TextSearch: $search works (MongoDB's $text; FerretDB 1.x lacks it).
	TextSearch bool
}

// Run runs the suite; newStore returns an empty store for one subtest
// (closed by the suite at the end of that subtest).
func Run(t *testing.T, newStore func(t *testing.T) limpwire.Store, caps Caps) {
	mk := func(t *testing.T) limpwire.Store {
		st := newStore(t)
		t.Cleanup(func() { _ = st.Close(context.Background()) })
		return st
	}
	t.Run("Operators", func(t *testing.T) { testOperators(t, mk(t)) })
	t.Run("SortSkipLimit", func(t *testing.T) { testSortSkipLimit(t, mk(t)) })
	t.Run("AttrsAndIDs", func(t *testing.T) { testAttrsAndIDs(t, mk(t)) })
	t.Run("Group", func(t *testing.T) { testGroup(t, mk(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, mk(t)) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, mk(t)) })
	t.Run("UpdateErrors", func(t *testing.T) { testUpdateErrors(t, mk(t)) })
	t.Run("CreateRules", func(t *testing.T) { testCreateRules(t, mk(t)) })
	t.Run("Copies", func(t *testing.T) { testCopies(t, mk(t)) })
	t.Run("ContextAndClose", func(t *testing.T) { testContextAndClose(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, mk(t)) })
	if caps.TextSearch {
		t.Run("Search", func(t *testing.T) { testSearch(t, mk(t)) })
	}
}

const coll = "people"

// people are created in this order, so the default sort (_id descending)
// lists them backwards.
var people = []string{
	`{"name":"Alice","age":30,"tags":["a","b"],"city":"Cairo","score":1.5}`,
	`{"name":"bob","age":25,"tags":["b"],"city":"Giza"}`,
	`{"name":"Carol","age":35,"tags":[],"city":"Cairo","nick":null}`,
	`{"name":"dave","age":25,"city":"Alex","addr":{"zip":"123"}}`,
	`{"name":"Eve","age":40,"tags":["c","a"],"city":"Giza"}`,
}

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// seed creates people and returns their ids by name.
func seed(t testing.TB, st limpwire.Store) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, p := range people {
		d := decode(t, p).(map[string]any)
		id, err := st.Create(context.Background(), coll, d)
		if err != nil {
			t.Fatalf("Create %s: %v", p, err)
		}
		if _, ok := limpwire.ParseObjectID(id); !ok || id != strings.ToLower(id) {
			t.Fatalf("Create returned id %q, want 24 lower-case hex digits", id)
		}
		ids[d["name"].(string)] = id
	}
	return ids
}

func query(t testing.TB, s string) *limpwire.Query {
	t.Helper()
	q, err := limpwire.ParseQuery(decode(t, s).([]any))
	if err != nil {
		t.Fatalf("ParseQuery %s: %v", s, err)
	}
	return q
}

func read(t testing.TB, st limpwire.Store, q string) limpwire.ReadResult {
	t.Helper()
	res, err := st.Read(context.Background(), coll, query(t, q))
	if err != nil {
		t.Fatalf("Read %s: %v", q, err)
	}
	if res.Count != len(res.Docs) {
		t.Fatalf("Read %s: count %d but %d docs", q, res.Count, len(res.Docs))
	}
	return res
}

func names(res limpwire.ReadResult) string {
	var out []string
	for _, d := range res.Docs {
		out = append(out, fmt.Sprint(d["name"]))
	}
	return strings.Join(out, " ")
}

func testOperators(t *testing.T, st limpwire.Store) {
	seed(t, st)
	for _, c := range []struct{ q, want string }{
		{`[]`, "Eve dave Carol bob Alice"},
		{`[{}, []]`, "Eve dave Carol bob Alice"},
		{`[{"city":"Cairo"}]`, "Carol Alice"},
		{`[{"city":"Cairo","age":30}]`, "Alice"},
		{`[{"city":"Cairo"},{"age":30}]`, "Alice"},
		{`[[{"city":"Alex"},{"age":40}]]`, "Eve dave"},
		{`[{"__or":[{"city":"Alex"},{"age":40}],"tags":"a"}]`, "Eve"},
		{`[{"__or":[{"city":"Alex"}],"__or2":[{"age":25},{"age":35}]}]`, "dave"},
		{`[{"age":{"$eq":25}}]`, "dave bob"},
		{`[{"age":{"$ne":25}}]`, "Eve Carol Alice"},
		{`[{"age":{"$gt":30}}]`, "Eve Carol"},
		{`[{"age":{"$gte":30}}]`, "Eve Carol Alice"},
		{`[{"age":{"$lt":30}}]`, "dave bob"},
		{`[{"age":{"$lte":25}}]`, "dave bob"},
		{`[{"age":{"$bet":[25,30]}}]`, "dave bob Alice"},
		{`[{"age":{"$gt":25,"$lt":40}}]`, "Carol Alice"},
		{`[{"city":{"$in":["Giza","Alex"]}}]`, "Eve dave bob"},
		{`[{"city":{"$nin":["Giza","Alex"]}}]`, "Carol Alice"},
		{`[{"tags":{"$all":["a","b"]}}]`, "Alice"},
		{`[{"tags":"b"}]`, "bob Alice"},
		{`[{"tags":{"$in":["c","b"]}}]`, "Eve bob Alice"},
		{`[{"tags":{"$nin":["a"]}}]`, "dave Carol bob"},
		{`[{"name":{"$regex":"^[a-c]"}}]`, "Carol bob Alice"},
		{`[{"name":{"$regex":"E$"}}]`, "Eve dave Alice"},
		{`[{"addr.zip":"123"}]`, "dave"},
		{`[{"addr":{"zip":"123"}}]`, "dave"},
		{`[{"nick":null}]`, "Eve dave Carol bob Alice"},
		{`[{"nick":{"$ne":null}}]`, ""},
		{`[{"score":{"$gt":1}}]`, "Alice"},
		{`[{"age":{"$gt":"30"}}]`, ""}, // type bracketing: a string never compares with a number
		{`[{"name":{"$gte":"a"}}]`, "dave bob"},
		{`[{"city":"Giza","$limit":1}]`, "Eve"},
		{`[[{"city":"Cairo","$sort":{"age":1}}]]`, "Alice Carol"},
	} {
		res := read(t, st, c.q)
		if got := names(res); got != c.want {
			t.Errorf("%s: got [%s], want [%s]", c.q, got, c.want)
		}
	}
	if res := read(t, st, `[{"city":"Giza","$limit":1}]`); res.Total != 2 || res.Count != 1 {
		t.Errorf("$limit 1 of 2 matches: total %d count %d, want 2 and 1", res.Total, res.Count)
	}
}

func testSortSkipLimit(t *testing.T, st limpwire.Store) {
	seed(t, st)
	for _, c := range []struct {
		q, want      string
		total, count int
	}{
		{`[{"$sort":{"age":1}}]`, "dave bob Alice Carol Eve", 5, 5}, // ties: newest first
		{`[{"$sort":{"age":-1}}]`, "Eve Carol Alice dave bob", 5, 5},
		{`[{"$sort":{"name":1}}]`, "Alice Carol Eve bob dave", 5, 5}, // bytewise
		{`[{"$sort":{"_id":1}}]`, "Alice bob Carol dave Eve", 5, 5},
		{`[{"$skip":1,"$limit":2}]`, "dave Carol", 5, 2},
		{`[{"$skip":10}]`, "", 5, 0},
		{`[{"age":25,"$skip":1}]`, "bob", 2, 1},
		{`[{"$limit":0}]`, "Eve dave Carol bob Alice", 5, 5},
	} {
		res := read(t, st, c.q)
		if got := names(res); got != c.want || res.Total != c.total || res.Count != c.count {
			t.Errorf("%s: got [%s] total %d count %d, want [%s] %d %d", c.q, got, res.Total, res.Count, c.want, c.total, c.count)
		}
	}
}

func testAttrsAndIDs(t *testing.T, st limpwire.Store) {
	ids := seed(t, st)
	res := read(t, st, `[{"city":"Cairo","$attrs":["name","addr.zip"]}]`)
	for _, d := range res.Docs {
		if len(d) != 2 || d["_id"] == nil || d["name"] == nil {
			t.Errorf("$attrs [name]: got %v, want only _id and name", d)
		}
	}
	res = read(t, st, `[{"name":"dave","$attrs":["addr.zip"]}]`)
	if want := (limpwire.Doc{"_id": ids["dave"], "addr": map[string]any{"zip": "123"}}); len(res.Docs) != 1 || !reflect.DeepEqual(res.Docs[0], want) {
		t.Errorf("$attrs [addr.zip]: got %v, want %v", res.Docs, want)
	}
	// 24-hex ids are ObjectIds, in either case, also inside $in.
	res = read(t, st, fmt.Sprintf(`[{"_id":%q}]`, strings.ToUpper(ids["bob"])))
	if names(res) != "bob" || res.Docs[0]["_id"] != ids["bob"] {
		t.Errorf("by _id: got %v", res.Docs)
	}
	res = read(t, st, fmt.Sprintf(`[{"_id":{"$in":[%q,%q]}}]`, ids["bob"], ids["Eve"]))
	if names(res) != "Eve bob" {
		t.Errorf("_id $in: got [%s]", names(res))
	}
	res = read(t, st, fmt.Sprintf(`[{"_id":{"$ne":%q}}]`, ids["bob"]))
	if names(res) != "Eve dave Carol Alice" {
		t.Errorf("_id $ne: got [%s]", names(res))
	}
	res = read(t, st, fmt.Sprintf(`[{"_id":{"$gt":%q}}]`, ids["Carol"]))
	if names(res) != "Eve dave" {
		t.Errorf("_id $gt: got [%s]", names(res))
	}
	if res := read(t, st, `[{"_id":"not-an-id"}]`); res.Total != 0 {
		t.Errorf("_id not-an-id matched %d", res.Total)
	}
	// Collections are separate.
	if res, err := st.Read(context.Background(), "other", query(t, `[]`)); err != nil || res.Total != 0 || len(res.Docs) != 0 {
		t.Errorf("another collection: %+v %v", res, err)
	}
}

func testGroup(t *testing.T, st limpwire.Store) {
	seed(t, st)
	res := read(t, st, `[{"$group":[{"by":"age","count":2},{"by":"city","count":5}],"$limit":1}]`)
	// ages 25 25 30 35 40: buckets of round(5/2)=3, equal values kept together.
	want := map[string][]limpwire.Bucket{
		"age":  {{Min: 25.0, Max: 35.0, Count: 3}, {Min: 35.0, Max: 40.0, Count: 2}},
		"city": {{Min: "Alex", Max: "Cairo", Count: 1}, {Min: "Cairo", Max: "Giza", Count: 2}, {Min: "Giza", Max: "Giza", Count: 2}},
	}
	if !reflect.DeepEqual(res.Groups, want) {
		t.Errorf("groups: got %v, want %v", res.Groups, want)
	}
	if res.Total != 5 || res.Count != 1 {
		t.Errorf("total %d count %d, want 5 and 1", res.Total, res.Count)
	}
	// The groups cover the query's matches, not the page.
	res = read(t, st, `[{"city":"Giza","$group":[{"by":"age","count":3}]}]`)
	want = map[string][]limpwire.Bucket{"age": {{Min: 25.0, Max: 40.0, Count: 1}, {Min: 40.0, Max: 40.0, Count: 1}}}
	if !reflect.DeepEqual(res.Groups, want) {
		t.Errorf("groups of Giza: got %v, want %v", res.Groups, want)
	}
	// A missing attribute groups as null.
	res = read(t, st, `[{"$group":[{"by":"score","count":1}]}]`)
	want = map[string][]limpwire.Bucket{"score": {{Min: nil, Max: 1.5, Count: 5}}}
	if !reflect.DeepEqual(res.Groups, want) {
		t.Errorf("groups of score: got %v, want %v", res.Groups, want)
	}
}

func testDelete(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	ids := seed(t, st)
	got, err := st.Delete(ctx, coll, query(t, `[{"city":"Cairo"}]`), true)
	if err != nil || strings.Join(got, " ") != ids["Carol"]+" "+ids["Alice"] {
		t.Fatalf("soft delete: %v %v", got, err)
	}
	if res := read(t, st, `[]`); names(res) != "Eve dave bob" || res.Total != 3 {
		t.Errorf("after soft delete: [%s] total %d", names(res), res.Total)
	}
	for _, q := range []string{`[{"__deleted":true}]`, fmt.Sprintf(`[{"_id":%q}]`, ids["Alice"])} {
		if res := read(t, st, q); res.Total != 0 {
			t.Errorf("%s sees %d soft-deleted documents", q, res.Total)
		}
	}
	// A soft-deleted document keeps its _id: creating it again fails.
	if _, err := st.Create(ctx, coll, limpwire.Doc{"_id": ids["Alice"]}); !errors.Is(err, limpwire.ErrDuplicateID) {
		t.Errorf("re-create soft-deleted _id: %v, want ErrDuplicateID", err)
	}
	got, err = st.Delete(ctx, coll, query(t, `[{"age":25,"$limit":1}]`), false)
	if err != nil || len(got) != 1 || got[0] != ids["dave"] {
		t.Fatalf("hard delete with $limit 1: %v %v", got, err)
	}
	if res := read(t, st, `[]`); names(res) != "Eve bob" {
		t.Errorf("after hard delete: [%s]", names(res))
	}
	if _, err := st.Create(ctx, coll, limpwire.Doc{"_id": ids["dave"], "name": "dave2"}); err != nil {
		t.Errorf("re-create hard-deleted _id: %v", err)
	}
	if got, err := st.Delete(ctx, coll, query(t, `[{"name":"nobody"}]`), false); err != nil || len(got) != 0 {
		t.Errorf("delete nothing: %v %v", got, err)
	}
}

func testUpdate(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	ids := seed(t, st)
	upd := func(q, u string) []string {
		t.Helper()
		got, err := st.Update(ctx, coll, query(t, q), decode(t, u).(map[string]any))
		if err != nil {
			t.Fatalf("Update %s %s: %v", q, u, err)
		}
		return got
	}
	if got := upd(`[{"age":25}]`, `{"age":{"$add":1},"city":"Luxor"}`); strings.Join(got, " ") != ids["dave"]+" "+ids["bob"] {
		t.Errorf("update ids: %v", got)
	}
	if res := read(t, st, `[{"age":26,"city":"Luxor"}]`); names(res) != "dave bob" {
		t.Errorf("after $add and set: [%s]", names(res))
	}
	upd(`[{"name":"Alice"}]`, `{"score":{"$multiply":4},"tags":{"$append":"z"},"addr.zip":"999","missing":{"$multiply":3}}`)
	upd(`[{"name":"Alice"}]`, `{"tags":{"$append":"a","$unique":true}}`)
	upd(`[{"name":"Eve"}]`, `{"tags":{"$remove":["a","x"]},"count":{"$add":2}}`)
	upd(`[{"name":"Eve"}]`, `{"tags":{"$append":"c"}}`)
	res := read(t, st, `[{"name":{"$in":["Alice","Eve"]},"$attrs":["tags","score","addr","missing","count"]}]`)
	want := []limpwire.Doc{
		{"_id": ids["Eve"], "tags": []any{"c", "c"}, "count": 2.0},
		{"_id": ids["Alice"], "tags": []any{"a", "b", "z"}, "score": 6.0, "addr": map[string]any{"zip": "999"}, "missing": 0.0},
	}
	if !reflect.DeepEqual(res.Docs, want) {
		t.Errorf("after updates:\n got %v\nwant %v", res.Docs, want)
	}
	if got := upd(`[{"name":"nobody"}]`, `{"x":1}`); len(got) != 0 {
		t.Errorf("update of nothing: %v", got)
	}
	if got := upd(`[{"$sort":{"age":-1},"$skip":1,"$limit":1}]`, `{"top2":true}`); len(got) != 1 || got[0] != ids["Carol"] {
		t.Errorf("update honours sort, skip and limit: %v", got)
	}
}

func testUpdateErrors(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	seed(t, st)
	for _, u := range []string{
		`{}`, `{"_id":"5f0000000000000000000000"}`, `{"age":{"$add":"1"}}`, `{"age":{"$inc":1}}`,
		`{"tags":{"$push":"x"}}`, `{"tags":{"$remove":"a"}}`, `{"a":1,"a.b":2}`, `{"$set":{"a":1}}`,
		`{"tags":{"$append":1,"$unique":"yes"}}`, `{"x":{"$add":1,"y":2}}`,
	} {
		if _, err := st.Update(ctx, coll, query(t, `[]`), decode(t, u).(map[string]any)); !errors.Is(err, limpwire.ErrInvalidDoc) {
			t.Errorf("update %s: %v, want ErrInvalidDoc", u, err)
		}
	}
	// Operators that do not fit the stored value fail without changing it.
	for _, u := range []string{`{"name":{"$add":1}}`, `{"name":{"$append":"x"}}`, `{"city":{"$remove":["x"]}}`} {
		if _, err := st.Update(ctx, coll, query(t, `[{"name":"bob"}]`), decode(t, u).(map[string]any)); !errors.Is(err, limpwire.ErrInvalidDoc) {
			t.Errorf("update %s on a string: %v, want ErrInvalidDoc", u, err)
		}
	}
	if res := read(t, st, `[{"name":"bob","city":"Giza","age":25}]`); res.Total != 1 {
		t.Errorf("failed updates changed bob")
	}
}

func testCreateRules(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	id := "5f1e2d3c4b5a69788796a5b4"
	got, err := st.Create(ctx, coll, limpwire.Doc{"_id": strings.ToUpper(id), "n": int64(1) << 60, "when": "x"})
	if err != nil || got != id {
		t.Fatalf("Create with _id: %q %v", got, err)
	}
	if _, err := st.Create(ctx, coll, limpwire.Doc{"_id": id}); !errors.Is(err, limpwire.ErrDuplicateID) {
		t.Errorf("duplicate _id: %v", err)
	}
	for _, d := range []limpwire.Doc{
		{"_id": "short"}, {"_id": 5}, {"$where": 1}, {"a.b": 1}, {"x": map[string]any{"$gt": 1}},
		{"f": struct{}{}}, {"c": make(chan int)},
	} {
		if _, err := st.Create(ctx, coll, d); !errors.Is(err, limpwire.ErrInvalidDoc) {
			t.Errorf("Create %v: %v, want ErrInvalidDoc", d, err)
		}
	}
	res := read(t, st, `[]`)
	if res.Total != 1 || res.Docs[0]["n"] != int64(1)<<60 {
		t.Errorf("int64 round trip: %v", res.Docs)
	}
}

func testCopies(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	in := limpwire.Doc{"name": "x", "tags": []any{"a"}, "sub": map[string]any{"k": "v"}}
	if _, err := st.Create(ctx, coll, in); err != nil {
		t.Fatal(err)
	}
	in["name"] = "changed"
	in["tags"].([]any)[0] = "changed"
	in["sub"].(map[string]any)["k"] = "changed"
	res := read(t, st, `[]`)
	res.Docs[0]["name"] = "mutated"
	res.Docs[0]["tags"].([]any)[0] = "mutated"
	res.Docs[0]["sub"].(map[string]any)["k"] = "mutated"
	res = read(t, st, `[]`)
	d := res.Docs[0]
	if d["name"] != "x" || d["tags"].([]any)[0] != "a" || d["sub"].(map[string]any)["k"] != "v" {
		t.Errorf("stored document changed through the caller's maps: %v", d)
	}
}

func testContextAndClose(t *testing.T, st limpwire.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := query(t, `[]`)
	if _, err := st.Read(ctx, coll, q); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with canceled context: %v", err)
	}
	if _, err := st.Create(ctx, coll, limpwire.Doc{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with canceled context: %v", err)
	}
	if _, err := st.Update(ctx, coll, q, limpwire.Doc{"a": 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with canceled context: %v", err)
	}
	if _, err := st.Delete(ctx, coll, q, true); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with canceled context: %v", err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	bg := context.Background()
	if _, err := st.Read(bg, coll, q); !errors.Is(err, limpwire.ErrStoreClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := st.Create(bg, coll, limpwire.Doc{}); !errors.Is(err, limpwire.ErrStoreClosed) {
		t.Errorf("Create after Close: %v", err)
	}
	if err := st.Close(bg); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func testConcurrent(t *testing.T, st limpwire.Store) {
	ctx := context.Background()
	const workers, each = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := st.Create(ctx, coll, limpwire.Doc{"w": w, "i": i, "n": 0}); err != nil {
					errs <- err
				}
				if _, err := st.Read(ctx, coll, query(t, `[{"$limit":3}]`)); err != nil {
					errs <- err
				}
				if _, err := st.Update(ctx, coll, query(t, fmt.Sprintf(`[{"w":%d}]`, w)), limpwire.Doc{"n": map[string]any{"$add": 1}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res := read(t, st, `[{"$sort":{"n":-1}}]`)
	if res.Total != workers*each {
		t.Fatalf("total %d, want %d", res.Total, workers*each)
	}
	// Worker w's i-th document was incremented by its own later updates:
	// each-i times.
	for _, d := range res.Docs {
		if n, i := toInt(d["n"]), toInt(d["i"]); n != each-i {
			t.Errorf("document %v: n=%d, want %d", d, n, each-i)
		}
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return -1
}

func testSearch(t *testing.T, st limpwire.Store) {
	seed(t, st)
	if res := read(t, st, `[{"$search":"cairo"}]`); names(res) != "Carol Alice" {
		t.Errorf("$search cairo: [%s]", names(res))
	}
	if res := read(t, st, `[{"$search":"giza","age":40}]`); names(res) != "Eve" {
		t.Errorf("$search giza with age 40: [%s]", names(res))
	}
}
