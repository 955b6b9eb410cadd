package limpwire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustJSON(t testing.TB, s string) []any {
	t.Helper()
	var v []any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestParseQueryErrors(t *testing.T) {
	for _, c := range []struct{ q, path, msg string }{
		{`[{"age":{"$not":{"$gt":1}}}]`, "[0].age.$not", "$not is not supported"},
		{`[{"age":{"$foo":1}}]`, "[0].age.$foo", "unknown operator"},
		{`[{"age":{"$gt":1,"x":2}}]`, "[0].age", "cannot mix"},
		{`[{"$foo":1}]`, "[0].$foo", "unknown special key"},
		{`[1]`, "[0]", "object or a list"},
		{`[null]`, "[0]", "got null"},
		{`[{"__or":{"a":1}}]`, "[0].__or", "takes a list"},
		{`[{"a":{"$in":[]}}]`, "[0].a.$in", "non-empty list"},
		{`[{"a":{"$all":"x"}}]`, "[0].a.$all", "non-empty list"},
		{`[{"a":{"$bet":[1]}}]`, "[0].a.$bet", "two values"},
		{`[{"a":{"$gt":[1]}}]`, "[0].a.$gt", "string or a number"},
		{`[{"a":{"$regex":"("}}]`, "[0].a.$regex", "bad regular expression"},
		{`[{"a":{"$regex":1}}]`, "[0].a.$regex", "takes a string"},
		{`[{"$sort":{"a":2}}]`, "[0].$sort.a", "1 or -1"},
		{`[{"$limit":-1}]`, "[0].$limit", "non-negative"},
		{`[{"$skip":1.5}]`, "[0].$skip", "non-negative"},
		{`[{"$attrs":"a"}]`, "[0].$attrs", "list"},
		{`[{"$group":[{"by":"a","count":0}]}]`, "[0].$group[0].count", "count must be"},
		{`[{"$search":1}]`, "[0].$search", "string"},
		{`[{"a..b":1}]`, "[0].a..b", "malformed"},
		{`[{"a.$b":1}]`, "[0].a.$b", "malformed"},
		{`[[[{"a":{"$not":1}}]]]`, "[0][0][0].a.$not", "$not"},
	} {
		_, err := ParseQuery(mustJSON(t, c.q))
		var qe *QueryError
		if !errors.As(err, &qe) || !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("%s: %v, want a *QueryError", c.q, err)
			continue
		}
		if qe.Path != c.path || !strings.Contains(qe.Msg, c.msg) {
			t.Errorf("%s: path %q msg %q, want %q and %q", c.q, qe.Path, qe.Msg, c.path, c.msg)
		}
	}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	if _, err := ParseQuery(mustJSON(t, "["+deep+"]")); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestParseQueryCompiles(t *testing.T) {
	q, err := ParseQuery(mustJSON(t, `[{"a":1,"b":{"$bet":[1,2]},"__or":[{"c":1},{"d":{"$regex":"x"}}]},
		[{"e":1},{"$limit":3}], {"$sort":{"z":-1,"y":1},"$skip":2,"$attrs":["x.y","x","_id","w"],
		"_id":"5F1E2D3C4B5A69788796A5B4","$group":[{"by":"a","count":3}],"$extn":false,"$search":"hi"}]`))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := ParseObjectID("5f1e2d3c4b5a69788796a5b4")
	leaf := func(a, op string, v any) Cond { return Cond{Kind: CondAttr, Attr: a, Op: op, Value: v} }
	want := Cond{Kind: CondAnd, Children: []Cond{
		{Kind: CondAnd, Children: []Cond{
			{Kind: CondOr, Children: []Cond{leaf("c", "$eq", 1.0), leaf("d", "$regex", "x")}},
			leaf("a", "$eq", 1.0), leaf("b", "$gte", 1.0), leaf("b", "$lte", 2.0),
		}},
		leaf("e", "$eq", 1.0),
		leaf("_id", "$eq", id),
	}}
	if !reflect.DeepEqual(q.Cond(), want) {
		t.Errorf("cond:\n got %+v\nwant %+v", q.Cond(), want)
	}
	if s, ok := q.Search(); !ok || s != "hi" {
		t.Errorf("search %q %v", s, ok)
	}
	if got := q.Sort(); !reflect.DeepEqual(got, []SortKey{{"y", 1}, {"z", -1}}) {
		t.Errorf("sort %v", got)
	}
	if got := q.SortWithTieBreak(); len(got) != 3 || got[2] != (SortKey{"_id", -1}) {
		t.Errorf("tie break %v", got)
	}
	if q.Skip() != 2 || q.Limit() != 3 || q.Extn() != false {
		t.Errorf("skip %d limit %d extn %v", q.Skip(), q.Limit(), q.Extn())
	}
	if got := q.Attrs(); !reflect.DeepEqual(got, []string{"w", "x"}) {
		t.Errorf("attrs %v (x covers x.y; _id is implied)", got)
	}
	if got := q.Groups(); !reflect.DeepEqual(got, []Group{{"a", 3}}) {
		t.Errorf("groups %v", got)
	}
	// Defaults.
	q, _ = ParseQuery(nil)
	if got := q.Sort(); !reflect.DeepEqual(got, []SortKey{{"_id", -1}}) || q.Attrs() != nil || q.Extn() != nil {
		t.Errorf("defaults: sort %v attrs %v extn %v", got, q.Attrs(), q.Extn())
	}
	checkCanonical(t, mustJSON(t, `[{"a":1,"b":{"$bet":[1,2]},"__or":[{"c":1},[]]},[{"e":1},{"f":{"$in":["5f1e2d3c4b5a69788796a5b4"]}}],{"$limit":2,"$soft":true}]`))
}

// checkCanonical checks that Raw is a fixed point: parse(Raw(q)) has the
// same condition and the same Raw.
func checkCanonical(t testing.TB, raw []any) {
	t.Helper()
	q, err := ParseQuery(raw)
	if err != nil {
		return
	}
	r1 := q.Raw()
	// Through JSON, as a client would send it.
	b, err := json.Marshal(r1)
	if err != nil {
		t.Fatalf("Raw of %v does not marshal: %v", raw, err)
	}
	var back []any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	q2, err := ParseQuery(back)
	if err != nil {
		t.Fatalf("canonical form %s of %v does not parse: %v", b, raw, err)
	}
	if !reflect.DeepEqual(q2.Cond(), q.Cond()) {
		t.Fatalf("canonical form %s changes the condition:\n%+v\n%+v", b, q.Cond(), q2.Cond())
	}
	if r2 := q2.Raw(); !reflect.DeepEqual(r1, r2) {
		t.Fatalf("Raw not stable for %v:\n%v\n%v", raw, r1, r2)
	}
}
