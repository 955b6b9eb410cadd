package limpwire

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestCompareValuesOrder(t *testing.T) {
	id1, _ := ParseObjectID("000000000000000000000001")
	id2, _ := ParseObjectID("000000000000000000000002")
	t0 := time.Unix(0, 0).UTC()
	// Ascending, in BSON's order: null, numbers, strings, documents,
	// arrays, ObjectIds, booleans, dates.
	asc := []any{
		nil, math.Inf(-1), int64(math.MinInt64), -1.5, int64(-1), 0.0, int64(1), 1.5,
		float64(1 << 53), int64(1<<53 + 1), int64(math.MaxInt64), math.Inf(1),
		"", "A", "a", "ab",
		// Documents compare element by element: type, then name, then value.
		map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, map[string]any{"b": 1.0}, map[string]any{"a": "x"},
		[]any{}, []any{1.0}, []any{1.0, 2.0}, []any{2.0},
		id1, id2, false, true, t0, t0.Add(time.Millisecond),
	}
	for i := range asc {
		for j := range asc {
			want := cmpInt(i, j)
			if got := CompareValues(asc[i], asc[j]); got != want {
				t.Errorf("CompareValues(%#v, %#v) = %d, want %d", asc[i], asc[j], got, want)
			}
		}
	}
	if CompareValues(int64(2), 2.0) != 0 || !valuesEqual(int64(2), 2.0) {
		t.Error("int64 2 and float64 2 differ")
	}
}

func TestLookupMongoPaths(t *testing.T) {
	var doc Doc
	_ = json.Unmarshal([]byte(`{"a":[{"b":1},{"b":[2,3]},{"c":4},5],"d":{"e":{"f":"x"}},"g":[[1,2],3]}`), &doc)
	// missing for numeric components is not asserted: whether the
	// elements without such a field make {"a.0.b": null} match is not
	// verified against MongoDB.
	for _, c := range []struct {
		path    string
		want    []any
		missing bool
	}{
		{"a.b", []any{1.0, []any{2.0, 3.0}}, true}, // one element lacks b
		{"a.0.b", []any{1.0}, true},
		{"a.3", []any{5.0}, true},
		{"a.9", nil, true},
		{"d.e.f", []any{"x"}, false},
		{"d.x", nil, true},
		{"d.e.f.g", nil, true},
		{"g.0", []any{[]any{1.0, 2.0}}, false},
		{"zz", nil, true},
	} {
		got, missing := lookup(doc, c.path)
		numeric := c.path == "a.0.b" || c.path == "a.3" || c.path == "a.9" || c.path == "g.0"
		if !reflect.DeepEqual(got, c.want) || (!numeric && missing != c.missing) {
			t.Errorf("lookup %s = %v %v, want %v %v", c.path, got, missing, c.want, c.missing)
		}
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{`[{"a.b":2}]`, true}, {`[{"a.b":{"$gt":2.5}}]`, true}, {`[{"a.b":null}]`, true},
		{`[{"a.c":4}]`, true}, {`[{"g":[1,2]}]`, true}, {`[{"g":3}]`, true}, {`[{"g":1}]`, false},
		{`[{"d.e":{"f":"x"}}]`, true}, {`[{"d.e":{"f":"X"}}]`, false}, {`[{"d.e.f":{"$regex":"X"}}]`, true},
		{`[{"a.b":{"$all":[1,2]}}]`, true}, {`[{"a.b":{"$nin":[9]}}]`, true}, {`[{"a.b":{"$ne":1}}]`, false},
	} {
		q, err := ParseQuery(mustJSON(t, c.q))
		if err != nil {
			t.Fatal(err)
		}
		if got := newMatcher(q.Cond()).match(doc); got != c.want {
			t.Errorf("%s on %v: %v, want %v", c.q, doc, got, c.want)
		}
	}
}

func TestProjectPaths(t *testing.T) {
	var doc Doc
	_ = json.Unmarshal([]byte(`{"_id":"x","a":[{"b":1,"c":2},3,{"c":4}],"d":{"e":1,"f":2},"s":"y"}`), &doc)
	got := project(doc, reduceAttrs([]string{"a.b", "d.f", "s.x", "nope"}))
	var want Doc
	_ = json.Unmarshal([]byte(`{"_id":"x","a":[{"b":1},{}],"d":{"f":2}}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("project: got %v, want %v", got, want)
	}
}

func TestBucketAuto(t *testing.T) {
	f := func(xs ...float64) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = x
		}
		return out
	}
	for _, c := range []struct {
		vals []any
		n    int
		want []Bucket
	}{
		{nil, 3, nil},
		{f(1, 2, 3, 4), 2, []Bucket{{1.0, 3.0, 2}, {3.0, 4.0, 2}}},
		{f(1, 2, 3, 4, 5), 2, []Bucket{{1.0, 4.0, 3}, {4.0, 5.0, 2}}},          // round(2.5) = 3
		{f(1, 1, 1, 2), 2, []Bucket{{1.0, 2.0, 3}, {2.0, 2.0, 1}}},             // equal values stay together
		{f(1, 2, 3), 5, []Bucket{{1.0, 2.0, 1}, {2.0, 3.0, 1}, {3.0, 3.0, 1}}}, // fewer values than buckets
		{f(1, 2, 3, 4, 5, 6, 7), 2, []Bucket{{1.0, 5.0, 4}, {5.0, 7.0, 3}}},
		{f(1, 2, 3, 4, 5, 6, 7), 3, []Bucket{{1.0, 3.0, 2}, {3.0, 5.0, 2}, {5.0, 7.0, 3}}}, // the last takes the rest
	} {
		if got := BucketAuto(c.vals, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("BucketAuto(%v, %d) = %v, want %v", c.vals, c.n, got, c.want)
		}
	}
}

func TestNormalizeValue(t *testing.T) {
	tm := time.Date(2020, 1, 2, 3, 4, 5, 6789012, time.FixedZone("x", 3600))
	got, err := NormalizeValue(map[string]any{
		"i": 1, "u8": uint8(2), "f32": float32(1.5), "n": json.Number("7"), "nf": json.Number("7.5"),
		"t": tm, "l": []any{int32(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"i": int64(1), "u8": int64(2), "f32": 1.5, "n": int64(7), "nf": 7.5,
		"t": time.Date(2020, 1, 2, 2, 4, 5, 6000000, time.UTC), "l": []any{int64(3)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), uint64(math.MaxUint64), struct{}{}, json.Number("x")} {
		if _, err := NormalizeValue(bad); err == nil {
			t.Errorf("NormalizeValue(%#v) accepted", bad)
		}
	}
	deep := any(1.0)
	for range maxValueDepth + 2 {
		deep = []any{deep}
	}
	if _, err := NormalizeValue(deep); err == nil {
		t.Error("deep value accepted")
	}
}

func TestMemoryStoreRejectsGeoNear(t *testing.T) {
	st := NewMemoryStore()
	q, err := ParseQuery(mustJSON(t, `[{"$geo_near":{"val":[31.2,30.0],"attr":"loc","dist":1000}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if g := q.GeoNear(); g == nil || g.Attr != "loc" || g.Dist != 1000 || g.Val != [2]float64{31.2, 30} {
		t.Fatalf("GeoNear %+v", g)
	}
	if _, err := st.Read(context.Background(), "c", q); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("Read with $geo_near: %v, want a QueryError", err)
	}
}
