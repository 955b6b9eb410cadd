package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/mongostore"
	"pgregory.net/rapid"
)

// TestDifferentialQueries is the differential property of the query
// language: random documents and random queries give the same results
// (documents and their order, total, count, groups, projections) from the
// memory store, the MongoDB store (FerretDB, or MONGODB_URI) and the naive
// evaluator below, which interprets the raw JSON query directly.
//
// Documents carry "k", their creation index, which the stores and the
// naive evaluator compare on (ids differ between stores; both stores'
// ids grow with creation, so _id order is k order).
func TestDifferentialQueries(t *testing.T) {
	c, srv := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ms := mongostore.New(c, srv.Database(), mongostore.Options{})
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		coll := fmt.Sprintf("p%d", n)
		defer func() { _ = ms.Database().Collection(coll).Drop(context.Background()) }()
		mem := limpwire.NewMemoryStore()
		docs := rapid.SliceOfN(genDoc(), 0, 12).Draw(rt, "docs")
		for i, d := range docs {
			d["k"] = float64(i)
			for _, st := range []limpwire.Store{mem, ms} {
				if _, err := st.Create(ctx, coll, d); err != nil {
					rt.Fatalf("Create %v: %v", d, err)
				}
			}
		}
		for range 8 {
			raw := genQuery().Draw(rt, "query")
			q, err := limpwire.ParseQuery(raw)
			if err != nil {
				rt.Fatalf("ParseQuery(%s): %v", jsonish(raw), err)
			}
			want := naiveRead(docs, raw)
			gotMem, err := mem.Read(ctx, coll, q)
			if err != nil {
				rt.Fatalf("memory Read(%s): %v", jsonish(raw), err)
			}
			gotMongo, err := ms.Read(ctx, coll, q)
			if err != nil {
				rt.Fatalf("mongo Read(%s): %v", jsonish(raw), err)
			}
			for _, g := range []struct {
				name string
				res  limpwire.ReadResult
			}{{"memory", gotMem}, {"mongo", gotMongo}} {
				got := summarize(g.res)
				if !reflect.DeepEqual(got, want) {
					rt.Fatalf("%s store, query %s\n got %+v\nwant %+v\ndocs %s", g.name, jsonish(raw), got, want, jsonish(docs))
				}
			}
		}
		// Then writes: the same update or delete in both stores touches the
		// same documents (by k, in order) and leaves the same contents.
		for range 3 {
			raw := genQuery().Draw(rt, "writeQuery")
			q, err := limpwire.ParseQuery(raw)
			if err != nil {
				rt.Fatalf("ParseQuery(%s): %v", jsonish(raw), err)
			}
			want := naiveRead(docsOf(rt, ctx, mem, coll), raw)
			var wantKs []any
			for _, d := range want.Docs {
				wantKs = append(wantKs, d["k"])
			}
			op := rapid.IntRange(0, 4).Draw(rt, "writeOp")
			var upd limpwire.Doc
			if op > 1 {
				upd = genUpdate().Draw(rt, "update")
			}
			var errs [2]error
			for i, st := range []limpwire.Store{mem, ms} {
				ks := kByID(rt, ctx, st, coll)
				var ids []string
				switch op {
				case 0, 1:
					ids, errs[i] = st.Delete(ctx, coll, q, op == 0)
				default:
					ids, errs[i] = st.Update(ctx, coll, q, upd)
				}
				if errs[i] != nil {
					continue
				}
				var gotKs []any
				for _, id := range ids {
					gotKs = append(gotKs, ks[id])
				}
				if !reflect.DeepEqual(gotKs, wantKs) {
					rt.Fatalf("store %d: write %d %v on %s touched k %v, want %v", i, op, upd, jsonish(raw), gotKs, wantKs)
				}
			}
			if (errs[0] == nil) != (errs[1] == nil) {
				rt.Fatalf("update %v on %s: memory %v, mongo %v", upd, jsonish(raw), errs[0], errs[1])
			}
			if errs[0] != nil {
				if !errors.Is(errs[0], limpwire.ErrInvalidDoc) || !errors.Is(errs[1], limpwire.ErrInvalidDoc) {
					rt.Fatalf("update %v: errors %v / %v, want ErrInvalidDoc", upd, errs[0], errs[1])
				}
				return // MongoDB may have applied it to some documents
			}
			a, b := docsOf(rt, ctx, mem, coll), docsOf(rt, ctx, ms, coll)
			if !reflect.DeepEqual(a, b) {
				rt.Fatalf("after write %d %v on %s:\nmemory %v\n mongo %v", op, upd, jsonish(raw), jsonish(a), jsonish(b))
			}
		}
	})
}

// docsOf returns the live documents of a store without _id, newest first.
func docsOf(t *rapid.T, ctx context.Context, st limpwire.Store, coll string) []limpwire.Doc {
	q, _ := limpwire.ParseQuery(nil)
	res, err := st.Read(ctx, coll, q)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	out := []limpwire.Doc{}
	for _, d := range res.Docs {
		delete(d, "_id")
		out = append(out, d)
	}
	return out
}

func kByID(t *rapid.T, ctx context.Context, st limpwire.Store, coll string) map[string]any {
	q, _ := limpwire.ParseQuery(nil)
	res, err := st.Read(ctx, coll, q)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	m := map[string]any{}
	for _, d := range res.Docs {
		m[d["_id"].(string)] = d["k"]
	}
	return m
}

func genUpdate() *rapid.Generator[limpwire.Doc] {
	return rapid.Custom(func(t *rapid.T) limpwire.Doc {
		u := limpwire.Doc{}
		for _, a := range rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"a", "f", "t", "s", "n.k", "new"}), 1, 2, rapid.ID[string]).Draw(t, "uattrs") {
			switch rapid.SampledFrom([]string{"set", "$add", "$multiply", "$append", "$unique", "$remove"}).Draw(t, "uop") {
			case "set":
				u[a] = genScalarOrList(t)
			case "$add":
				u[a] = map[string]any{"$add": rapid.SampledFrom([]any{1.0, -2.0, 0.5}).Draw(t, "n")}
			case "$multiply":
				u[a] = map[string]any{"$multiply": rapid.SampledFrom([]any{2.0, -1.0, 0.5}).Draw(t, "n")}
			case "$append":
				u[a] = map[string]any{"$append": rapid.SampledFrom(strVals).Draw(t, "v")}
			case "$unique":
				u[a] = map[string]any{"$append": rapid.SampledFrom(strVals).Draw(t, "v"), "$unique": true}
			case "$remove":
				u[a] = map[string]any{"$remove": []any{rapid.SampledFrom(strVals).Draw(t, "v")}}
			}
		}
		return u
	})
}

func genScalarOrList(t *rapid.T) any {
	return rapid.SampledFrom([]any{1.0, "x", nil, []any{"x", "y"}, map[string]any{"k": 2.0}}).Draw(t, "setv")
}

// result is what the property compares: documents without _id, in order.
type result struct {
	Total, Count int
	Docs         []map[string]any
	Groups       map[string][]limpwire.Bucket
}

func summarize(r limpwire.ReadResult) result {
	out := result{Total: r.Total, Count: r.Count, Groups: r.Groups}
	for _, d := range r.Docs {
		c := map[string]any{}
		for k, v := range d {
			if k != "_id" {
				c[k] = v
			}
		}
		out.Docs = append(out.Docs, c)
	}
	return out
}

func jsonish(v any) string { return strings.ReplaceAll(fmt.Sprintf("%v", v), "map", "") }

// Generators: a few attributes of simple shapes, so that the naive
// evaluator stays obviously right.
var (
	strVals = []any{"x", "X", "xy", "y", "Ab", ""}
	regexes = []string{"^x", "y$", "a", "X", "^$", "."}
)

func genDoc() *rapid.Generator[limpwire.Doc] {
	return rapid.Custom(func(t *rapid.T) limpwire.Doc {
		d := limpwire.Doc{}
		if v := rapid.IntRange(-1, 5).Draw(t, "a"); v >= 0 {
			d["a"] = float64(v)
			if v == 5 { // sometimes another type: bracketing and type order
				d["a"] = rapid.SampledFrom([]any{"5", true, []any{1.0, 3.0}}).Draw(t, "aOther")
			}
		} else if rapid.Bool().Draw(t, "anull") {
			d["a"] = nil
		}
		if rapid.IntRange(0, 3).Draw(t, "hasS") > 0 {
			d["s"] = rapid.SampledFrom(strVals).Draw(t, "s")
		}
		if rapid.IntRange(0, 3).Draw(t, "hasT") > 0 {
			d["t"] = rapid.SliceOfN(rapid.SampledFrom(strVals), 0, 3).Draw(t, "t")
		}
		if rapid.Bool().Draw(t, "hasF") {
			d["f"] = rapid.SampledFrom([]float64{-1, 0.5, 1, 2.5}).Draw(t, "f")
		}
		if rapid.Bool().Draw(t, "hasN") {
			n := map[string]any{}
			if rapid.Bool().Draw(t, "hasNK") {
				n["k"] = float64(rapid.IntRange(0, 3).Draw(t, "nk"))
			}
			d["n"] = n
		}
		return d
	})
}

var attrNames = []string{"a", "s", "t", "f", "n.k"}

func genScalarFor(t *rapid.T, attr string) any {
	switch attr {
	case "s", "t":
		return rapid.SampledFrom(strVals).Draw(t, "str")
	case "f":
		return rapid.SampledFrom([]any{-1.0, 0.5, 1.0, 2.5, 0.0})
	}
	return float64(rapid.IntRange(0, 5).Draw(t, "num"))
}

func genOperand(t *rapid.T, attr string) any {
	v := genScalarFor(t, attr)
	if g, ok := v.(*rapid.Generator[any]); ok {
		v = g.Draw(t, "f")
	}
	if rapid.IntRange(0, 9).Draw(t, "cross") == 0 { // sometimes the other type
		if _, isStr := v.(string); isStr {
			return 1.0
		}
		return "1"
	}
	return v
}

func genCond(t *rapid.T, attr string) any {
	op := rapid.SampledFrom([]string{"plain", "null", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$bet", "$in", "$nin", "$all", "$regex", "multi"}).Draw(t, "op")
	switch op {
	case "plain":
		if attr == "t" && rapid.IntRange(0, 3).Draw(t, "wholeList") == 0 {
			return []any{rapid.SampledFrom(strVals).Draw(t, "e0"), rapid.SampledFrom(strVals).Draw(t, "e1")}
		}
		return genOperand(t, attr)
	case "null":
		return nil
	case "$bet":
		return map[string]any{op: []any{genOperand(t, attr), genOperand(t, attr)}}
	case "$in", "$nin", "$all":
		n := rapid.IntRange(1, 3).Draw(t, "n")
		l := make([]any, n)
		for i := range l {
			l[i] = genOperand(t, attr)
			if rapid.IntRange(0, 5).Draw(t, "inNull") == 0 {
				l[i] = nil // null in a list also matches a missing attribute
			}
		}
		return map[string]any{op: l}
	case "$regex":
		if attr == "s" || attr == "t" {
			return map[string]any{op: rapid.SampledFrom(regexes).Draw(t, "re")}
		}
		return map[string]any{"$eq": genOperand(t, attr)}
	case "multi":
		return map[string]any{"$gte": genOperand(t, attr), "$lt": genOperand(t, attr)}
	}
	return map[string]any{op: genOperand(t, attr)}
}

func genStep(t *rapid.T, depth int) any {
	if depth < 2 && rapid.IntRange(0, 4).Draw(t, "isList") == 0 {
		n := rapid.IntRange(0, 3).Draw(t, "orN")
		l := make([]any, n)
		for i := range l {
			l[i] = genStep(t, depth+1)
		}
		return l
	}
	m := map[string]any{}
	for _, a := range rapid.SliceOfNDistinct(rapid.SampledFrom(attrNames), 0, 1+depth, rapid.ID[string]).Draw(t, "attrs") {
		m[a] = genCond(t, a)
	}
	if depth < 2 && rapid.IntRange(0, 5).Draw(t, "hasOr") == 0 {
		n := rapid.IntRange(0, 3).Draw(t, "orN")
		l := make([]any, n)
		for i := range l {
			l[i] = genStep(t, depth+1)
		}
		m["__or"] = l
	}
	return m
}

func genQuery() *rapid.Generator[[]any] {
	return rapid.Custom(func(t *rapid.T) []any {
		q := make([]any, rapid.IntRange(0, 2).Draw(t, "steps"))
		for i := range q {
			q[i] = genStep(t, 0)
		}
		special := map[string]any{}
		if rapid.Bool().Draw(t, "sort") {
			special["$sort"] = map[string]any{rapid.SampledFrom([]string{"a", "s", "f", "n.k", "_id", "t"}).Draw(t, "sortBy"): float64(rapid.SampledFrom([]int{1, -1}).Draw(t, "dir"))}
		}
		if rapid.Bool().Draw(t, "skip") {
			special["$skip"] = float64(rapid.IntRange(0, 5).Draw(t, "skipN"))
		}
		if rapid.Bool().Draw(t, "limit") {
			special["$limit"] = float64(rapid.IntRange(0, 5).Draw(t, "limitN"))
		}
		if rapid.IntRange(0, 3).Draw(t, "group") == 0 {
			special["$group"] = []any{map[string]any{"by": rapid.SampledFrom([]string{"a", "s", "f", "n.k"}).Draw(t, "by"), "count": float64(rapid.IntRange(1, 4).Draw(t, "buckets"))}}
		}
		if rapid.IntRange(0, 3).Draw(t, "attrs") == 0 {
			special["$attrs"] = []any{"k", rapid.SampledFrom([]any{"a", "s", "n.k", "t"}).Draw(t, "attr")}
		}
		// Special keys may sit in any dict: put them in a new step or in
		// the first dict found.
		if len(special) > 0 {
			placed := false
			if rapid.Bool().Draw(t, "inline") {
				for _, s := range q {
					if m, ok := s.(map[string]any); ok {
						for k, v := range special {
							m[k] = v
						}
						placed = true
						break
					}
				}
			}
			if !placed {
				q = append(q, special)
			}
		}
		return q
	})
}

// ---- the naive evaluator: the raw JSON query, read literally ----

type naiveQuery struct {
	sortKey  string
	sortDir  int
	skip     int
	limit    int
	hasGroup bool
	groupBy  string
	groupN   int
	attrs    []string
	hasAttrs bool
}

func naiveRead(docs []limpwire.Doc, raw []any) result {
	var nq naiveQuery
	nq.sortKey, nq.sortDir = "_id", -1
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				collect(e)
			}
		case map[string]any:
			for k, e := range x {
				switch k {
				case "$sort":
					for a, d := range e.(map[string]any) {
						nq.sortKey, nq.sortDir = a, int(d.(float64))
					}
				case "$skip":
					nq.skip = int(e.(float64))
				case "$limit":
					nq.limit = int(e.(float64))
				case "$group":
					g := e.([]any)[0].(map[string]any)
					nq.hasGroup, nq.groupBy, nq.groupN = true, g["by"].(string), int(g["count"].(float64))
				case "$attrs":
					nq.hasAttrs = true
					for _, a := range e.([]any) {
						nq.attrs = append(nq.attrs, a.(string))
					}
				default:
					if strings.HasPrefix(k, "__or") {
						collect(e)
					}
				}
			}
		}
	}
	collect(raw)

	var matched []limpwire.Doc
	for _, d := range docs {
		ok := true
		for _, step := range raw {
			if r, constrains := naiveStep(d, step); constrains && !r {
				ok = false
			}
		}
		if ok {
			matched = append(matched, d)
		}
	}
	key := func(d limpwire.Doc) any {
		if nq.sortKey == "_id" {
			return d["k"]
		}
		v, _ := naiveGet(d, nq.sortKey)
		// MongoDB sorts an array by its smallest element ascending, its
		// largest descending, and an empty array before null.
		if l, ok := v.([]any); ok {
			if len(l) == 0 {
				return emptyArray{}
			}
			best := l[0]
			for _, e := range l[1:] {
				if naiveOrder(e, best)*nq.sortDir > 0 {
					continue
				}
				best = e
			}
			return best
		}
		return v
	}
	slices.SortStableFunc(matched, func(x, y limpwire.Doc) int {
		if c := naiveOrder(key(x), key(y)) * nq.sortDir; c != 0 {
			return c
		}
		return naiveOrder(y["k"], x["k"]) // newest first
	})
	res := result{Total: len(matched)}
	if nq.hasGroup {
		var vals []any
		for _, d := range matched {
			v, _ := naiveGet(d, nq.groupBy)
			vals = append(vals, v)
		}
		slices.SortStableFunc(vals, naiveOrder)
		res.Groups = map[string][]limpwire.Bucket{nq.groupBy: naiveBuckets(vals, nq.groupN)}
	}
	page := matched[min(nq.skip, len(matched)):]
	if nq.limit > 0 && len(page) > nq.limit {
		page = page[:nq.limit]
	}
	res.Count = len(page)
	for _, d := range page {
		c := map[string]any{}
		for k, v := range d {
			if !nq.hasAttrs || slices.Contains(nq.attrs, k) {
				c[k] = v
			}
		}
		if nq.hasAttrs && slices.Contains(nq.attrs, "n.k") {
			if n, ok := d["n"].(map[string]any); ok {
				sub := map[string]any{}
				if v, ok := n["k"]; ok {
					sub["k"] = v
				}
				c["n"] = sub
			}
		}
		res.Docs = append(res.Docs, c)
	}
	return res
}

// naiveStep evaluates one step; constrains is false for steps that say
// nothing (empty, or specials only), which upstream drops.
func naiveStep(d limpwire.Doc, step any) (match, constrains bool) {
	switch s := step.(type) {
	case []any:
		any_ := false
		for _, c := range s {
			if r, ok := naiveStep(d, c); ok {
				constrains = true
				any_ = any_ || r
			}
		}
		return any_, constrains
	case map[string]any:
		match = true
		for k, v := range s {
			switch {
			case strings.HasPrefix(k, "__or"):
				if r, ok := naiveStep(d, v); ok {
					constrains = true
					match = match && r
				}
			case strings.HasPrefix(k, "$"):
			default:
				constrains = true
				match = match && naiveAttr(d, k, v)
			}
		}
		return match, constrains
	}
	panic("bad step")
}

func naiveGet(d limpwire.Doc, attr string) (any, bool) {
	if attr == "n.k" {
		n, ok := d["n"].(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := n["k"]
		return v, ok
	}
	v, ok := d[attr]
	return v, ok
}

func naiveAttr(d limpwire.Doc, attr string, cond any) bool {
	v, present := naiveGet(d, attr)
	cands := []any{v}
	if l, ok := v.([]any); ok {
		cands = append(slices.Clone(l), v)
	}
	eq := func(want any) bool {
		if want == nil && (!present || v == nil) {
			return true
		}
		for _, c := range cands {
			if reflect.DeepEqual(c, want) {
				return true
			}
		}
		return false
	}
	cmp := func(want any, ok func(int) bool) bool {
		for _, c := range cands {
			if sameKind(c, want) && ok(naiveOrder(c, want)) {
				return true
			}
		}
		return false
	}
	m, isOp := cond.(map[string]any)
	if !isOp {
		return eq(cond)
	}
	all := true
	for op, arg := range m {
		var r bool
		switch op {
		case "$eq":
			r = eq(arg)
		case "$ne":
			r = !eq(arg)
		case "$gt":
			r = cmp(arg, func(c int) bool { return c > 0 })
		case "$gte":
			r = cmp(arg, func(c int) bool { return c >= 0 })
		case "$lt":
			r = cmp(arg, func(c int) bool { return c < 0 })
		case "$lte":
			r = cmp(arg, func(c int) bool { return c <= 0 })
		case "$bet":
			b := arg.([]any)
			r = cmp(b[0], func(c int) bool { return c >= 0 }) && cmp(b[1], func(c int) bool { return c <= 0 })
		case "$in":
			r = slices.ContainsFunc(arg.([]any), eq)
		case "$nin":
			r = !slices.ContainsFunc(arg.([]any), eq)
		case "$all":
			r = !slices.ContainsFunc(arg.([]any), func(w any) bool { return !eq(w) })
		case "$regex":
			re := regexp.MustCompile("(?i)" + arg.(string))
			r = slices.ContainsFunc(cands, func(c any) bool { s, ok := c.(string); return ok && re.MatchString(s) })
		default:
			panic(op)
		}
		all = all && r
	}
	return all
}

func sameKind(a, b any) bool { return kind(a) == kind(b) }

type emptyArray struct{}

func kind(v any) int {
	switch v.(type) {
	case emptyArray:
		return -1
	case nil:
		return 0
	case float64:
		return 1
	case string:
		return 2
	case map[string]any:
		return 3
	case []any:
		return 4
	}
	return 9
}

// naiveOrder orders the generated values: null < numbers < strings <
// documents < arrays.
func naiveOrder(a, b any) int {
	if ka, kb := kind(a), kind(b); ka != kb {
		return ka - kb
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}

func naiveBuckets(vals []any, n int) []limpwire.Bucket {
	out := []limpwire.Bucket{}
	size := int(math.Max(1, math.Round(float64(len(vals))/float64(n))))
	for i, b := 0, 0; i < len(vals) && b < n; b++ {
		j := min(i+size, len(vals))
		if b == n-1 {
			j = len(vals)
		}
		for j < len(vals) && naiveOrder(vals[j-1], vals[j]) == 0 {
			j++
		}
		bk := limpwire.Bucket{Min: vals[i], Count: j - i, Max: vals[j-1]}
		if j < len(vals) {
			bk.Max = vals[j]
		}
		out = append(out, bk)
		i = j
	}
	return out
}
