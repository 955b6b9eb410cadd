package limpwire

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseQuery checks query compilation on arbitrary JSON: it returns a
// *QueryError or a Query; a Query's canonical form parses back to the same
// condition and the same canonical form; evaluating it in the memory store
// never panics, selects the same documents as the canonical form, and
// gives total >= count, count <= limit, groups that cover the total.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		`[]`, `[{"a":1}]`, `[[{"a":1},{"b":{"$gt":2}}]]`,
		`[{"__or":[{"a":1},{"a":2}],"$limit":1,"$skip":1,"$sort":{"a":-1}}]`,
		`[{"a":{"$bet":[1,3]},"t":{"$all":["x"]},"s":{"$regex":"^X"}}]`,
		`[{"a":{"$not":1}}]`, `[{"_id":"5f1e2d3c4b5a69788796a5b4","$attrs":["a","b.c"]}]`,
		`[{"$group":[{"by":"a","count":2}],"n.k":{"$in":[1,null]},"a":{"$gte":1,"$lt":3}}]`,
		`[{"$search":"hello","$extn":["u"]}]`, `[{"a":{"x":1}},{"a":{}}]`,
	} {
		f.Add([]byte(s))
	}
	st := NewMemoryStore()
	ctx := context.Background()
	for _, d := range []string{
		`{"a":1,"s":"x","t":["x","y"],"n":{"k":1}}`, `{"a":"1","b":{"c":[1,{"d":2}]}}`,
		`{"a":null,"t":[]}`, `{"a":2.5,"s":"X","n":[{"k":1},{"k":2}]}`, `{}`,
	} {
		var doc Doc
		if err := json.Unmarshal([]byte(d), &doc); err != nil {
			f.Fatal(err)
		}
		if _, err := st.Create(ctx, "c", doc); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw []any
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		q, err := ParseQuery(raw)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("ParseQuery error %T %v is not a *QueryError", err, err)
			}
			return
		}
		checkCanonical(t, raw)
		res, err := st.Read(ctx, "c", q)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("Read: %v", err)
			}
			return
		}
		// The canonical form selects the same documents.
		q2, err := ParseQuery(q.Raw())
		if err != nil {
			t.Fatalf("canonical form does not parse: %v", err)
		}
		if res2, err := st.Read(ctx, "c", q2); err != nil || !reflect.DeepEqual(res, res2) {
			t.Fatalf("canonical form reads differently:\n%+v\n%+v (%v)", res, res2, err)
		}
		if res.Count != len(res.Docs) || res.Count > res.Total || (q.Limit() > 0 && res.Count > q.Limit()) || res.Total > 5 {
			t.Fatalf("total %d count %d docs %d limit %d", res.Total, res.Count, len(res.Docs), q.Limit())
		}
		for by, bs := range res.Groups {
			n := 0
			for _, b := range bs {
				n += b.Count
			}
			if n != res.Total {
				t.Fatalf("groups of %s count %d documents, total is %d", by, n, res.Total)
			}
		}
	})
}
