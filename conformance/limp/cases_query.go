package limpsuite

import (
	"context"
	"fmt"
	"slices"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// fixture is three documents of a fresh tag in the collection module:
// n = 1, 2, 3; s = "Alpha", "beta", "Gamma"; l = [1,2], [2,3], [3,4].
type fixture struct {
	t    *conformance.T
	c    *conn
	coll string
	tag  string
	ids  []string // in creation order
}

func seed(ctx context.Context, t *conformance.T) *fixture {
	coll := param(t, ParamCollection)
	if coll == "" {
		t.Skipf("no %s parameter: no module with open CRUD methods", ParamCollection)
	}
	f := &fixture{t: t, c: verified(ctx, t), coll: coll, tag: kit.NewID("q")}
	for i, s := range []string{"Alpha", "beta", "Gamma"} {
		n := i + 1
		r := f.c.call(coll+"/create", nil, map[string]any{"tag": f.tag, "n": n, "s": s, "l": []any{n, n + 1}})
		f.c.expect(r, 200, "")
		d := r.docs()
		id, _ := func() (string, bool) {
			if len(d) != 1 {
				return "", false
			}
			s, ok := d[0]["_id"].(string)
			return s, ok
		}()
		if !hex24.MatchString(id) {
			t.Failf("create answered docs [{_id}]", "%s", r.brief())
		}
		f.ids = append(f.ids, id)
	}
	return f
}

// read reads the fixture's documents with more query steps.
func (f *fixture) read(steps ...any) *reply {
	q := append([]any{map[string]any{"tag": f.tag}}, steps...)
	r := f.c.call(f.coll+"/read", q, nil)
	f.c.expect(r, 200, "")
	return r
}

// got returns the fixture indexes (1-based n) of the docs of r, in order.
func (f *fixture) got(r *reply) []int {
	var out []int
	for _, d := range r.docs() {
		id, _ := d["_id"].(string)
		out = append(out, slices.Index(f.ids, id)+1)
	}
	return out
}

// want fails the case unless r holds exactly the fixture docs n (any
// order unless ordered) and count says so.
func (f *fixture) want(r *reply, ordered bool, n ...int) {
	got := f.got(r)
	g := slices.Clone(got)
	if !ordered {
		slices.Sort(g)
		n = slices.Sorted(slices.Values(n))
	}
	if !slices.Equal(g, n) || r.num("count") != float64(len(n)) {
		f.t.Failf(fmt.Sprintf("docs n=%v with count %d", n, len(n)), "docs n=%v, %s", got, r.brief())
	}
}

// opCase is a read case: steps added to the tag step, docs expected.
func opCase(id, title, req string, want []int, steps ...any) conformance.Case {
	return conformance.Case{ID: id, Level: must, Title: title, Requirement: req,
		Run: func(ctx context.Context, t *conformance.T) {
			f := seed(ctx, t)
			f.want(f.read(steps...), false, want...)
		}}
}

func attr(name string, v any) map[string]any { return map[string]any{name: v} }
func op(name string, v any) map[string]any   { return map[string]any{name: v} }

// update applies doc to fixture doc n and returns its n attribute and l.
func (f *fixture) update(n int, doc map[string]any) map[string]any {
	r := f.c.call(f.coll+"/update", []any{map[string]any{"_id": f.ids[n-1]}}, doc)
	f.c.expect(r, 200, "")
	rr := f.read(map[string]any{"_id": f.ids[n-1]})
	d := rr.docs()
	if len(d) != 1 {
		f.t.Failf("the updated doc", "%s", rr.brief())
	}
	return d[0]
}

// queryCases: sections 4.2, 4.3 and 8.
func queryCases() []conformance.Case {
	cases := []conformance.Case{
		{
			ID: "limp/4.2/1", Level: must,
			Title:       `read answers "Found N docs." with total, count, docs and groups`,
			Requirement: `read is answered "Found N docs." with args total (before $skip/$limit), count, docs and groups ({} without $group).`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.read(op("$limit", 2))
				if r.Msg != "Found 2 docs." || r.num("total") != 3 || r.num("count") != 2 || string(r.Args["groups"]) != "{}" && !kit.JSONEqual(r.Args["groups"], []byte("{}")) {
					t.Failf(`"Found 2 docs.", total 3, count 2, groups {}`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/4.2/2", Level: must,
			Title:       `create answers "Created 1 docs." with count and docs [{_id}]`,
			Requirement: `create is answered "Created N docs." with args count and docs [{_id}].`,
			Run: func(ctx context.Context, t *conformance.T) {
				coll := param(t, ParamCollection)
				if coll == "" {
					t.Skipf("no %s parameter", ParamCollection)
				}
				c := verified(ctx, t)
				r := c.call(coll+"/create", nil, map[string]any{"tag": kit.NewID("c"), "n": 1})
				if r.Status != 200 || r.Msg != "Created 1 docs." || r.num("count") != 1 || len(r.docs()) != 1 {
					t.Failf(`200 "Created 1 docs." count 1, docs [{_id}]`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/4.2/3", Level: must,
			Title:       `update answers "Updated N docs." and the docs change`,
			Requirement: `update is answered "Updated N docs." with args count and docs [{_id}].`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.c.call(f.coll+"/update", []any{map[string]any{"tag": f.tag}, map[string]any{"n": map[string]any{"$gte": 2}}}, map[string]any{"s": "z"})
				if r.Status != 200 || r.Msg != "Updated 2 docs." || r.num("count") != 2 {
					t.Failf(`200 "Updated 2 docs." count 2`, "%s", r.brief())
				}
				f.want(f.read(attr("s", "z")), false, 2, 3)
			},
		},
		{
			ID: "limp/4.2/4", Level: must,
			Title:       `delete answers "Deleted N docs." and the docs are gone`,
			Requirement: `delete is answered "Deleted N docs." with args count and docs [{_id}].`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.c.call(f.coll+"/delete", []any{map[string]any{"_id": f.ids[0]}}, nil)
				if r.Status != 200 || r.Msg != "Deleted 1 docs." || r.num("count") != 1 {
					t.Failf(`200 "Deleted 1 docs." count 1`, "%s", r.brief())
				}
				f.want(f.read(), false, 2, 3)
			},
		},
		{
			ID: "limp/4.3/1", Level: must,
			Title:       "a watch answers CORE_WATCH_OK, then one message per change",
			Requirement: `A watch is answered "Created watch task." CORE_WATCH_OK with watch = call_id, then "Detected 1 docs." with oper and docs per change.`,
			Run: func(ctx context.Context, t *conformance.T) {
				coll := param(t, ParamCollection)
				if coll == "" {
					t.Skipf("no %s parameter", ParamCollection)
				}
				w := verified(ctx, t)
				tag := kit.NewID("w")
				id := w.send(coll+"/watch", []any{map[string]any{"tag": tag}}, nil)
				r := w.read("Created watch task.")
				if r.Status != 200 || r.code() != "CORE_WATCH_OK" || r.str("watch") != id || r.callID() != id {
					t.Failf(`200 CORE_WATCH_OK with watch and call_id `+id, "%s", r.brief())
				}
				c := verified(ctx, t)
				c.expect(c.call(coll+"/create", nil, map[string]any{"tag": tag, "n": 7}), 200, "")
				r = w.read("Detected 1 docs.")
				d := r.docs()
				if r.Status != 200 || r.Msg != "Detected 1 docs." || r.str("oper") != "create" || r.str("watch") != id || len(d) != 1 || d[0]["n"] != 7.0 {
					t.Failf(`"Detected 1 docs." oper create, the doc with n 7`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/4.3/2", Level: must,
			Title:       "watch/delete of an unknown watch gets 400 CORE_WATCH_INVALID_WATCH",
			Requirement: `watch/delete naming no watch task is answered 400 "Watch is invalid." CORE_WATCH_INVALID_WATCH.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expect(c.call("watch/delete", []any{map[string]any{"watch": "nosuch"}}, nil), 400, "CORE_WATCH_INVALID_WATCH")
			},
		},
		{
			ID: "limp/4.3/3", Level: must,
			Title:       "watch/delete ends a watch task: no more changes arrive",
			Requirement: `watch/delete with the watch id is answered "Watch task deleted." and the task sends nothing more.`,
			Run: func(ctx context.Context, t *conformance.T) {
				coll := param(t, ParamCollection)
				if coll == "" {
					t.Skipf("no %s parameter", ParamCollection)
				}
				w := verified(ctx, t)
				tag := kit.NewID("w")
				id := w.send(coll+"/watch", []any{map[string]any{"tag": tag}}, nil)
				w.expect(w.read("Created watch task."), 200, "CORE_WATCH_OK")
				r := w.call("watch/delete", []any{map[string]any{"watch": id}}, nil)
				if r.Status != 200 || r.Msg != "Watch task deleted." {
					t.Failf(`200 "Watch task deleted."`, "%s", r.brief())
				}
				c := verified(ctx, t)
				c.expect(c.call(coll+"/create", nil, map[string]any{"tag": tag}), 200, "")
				w.expectNothing(quietFor, "no change after watch/delete")
			},
		},
		opCase("limp/8.1/1", "the steps of a query are AND-ed", "The top-level array is the AND of its steps.", []int{2}, attr("n", 2)),
		opCase("limp/8.1/2", "a nested array is an OR of its children", "A step that is an array is the OR of its children.", []int{1, 3},
			[]any{attr("n", 1), attr("n", 3)}),
		opCase("limp/8.1/3", "an __or key ORs its children into the step", "An object key starting with __or holds an array OR-ed and AND-ed into the step.", []int{1, 2},
			map[string]any{"__or": []any{attr("n", 1), attr("s", "beta")}}),
		opCase("limp/8.2/1", "$eq matches equal values", "$eq is equality.", []int{2}, attr("n", op("$eq", 2))),
		opCase("limp/8.2/2", "$ne excludes equal values", "$ne is inequality.", []int{1, 3}, attr("n", op("$ne", 2))),
		opCase("limp/8.2/3", "$gt is strictly greater", "$gt is x > v.", []int{3}, attr("n", op("$gt", 2))),
		opCase("limp/8.2/4", "$gte is greater or equal", "$gte is x >= v.", []int{2, 3}, attr("n", op("$gte", 2))),
		opCase("limp/8.2/5", "$lt is strictly less", "$lt is x < v.", []int{1}, attr("n", op("$lt", 2))),
		opCase("limp/8.2/6", "$lte is less or equal", "$lte is x <= v.", []int{1, 2}, attr("n", op("$lte", 2))),
		opCase("limp/8.2/7", "$bet [a, b] includes both bounds", "$bet [a, b] is a <= x <= b.", []int{1, 2}, attr("n", op("$bet", []any{1, 2}))),
		opCase("limp/8.2/8", "$in matches any listed value", "$in takes a non-empty list of values.", []int{1, 3}, attr("n", op("$in", []any{1, 3}))),
		opCase("limp/8.2/9", "$nin excludes the listed values", "$nin takes a non-empty list of values.", []int{2}, attr("n", op("$nin", []any{1, 3}))),
		opCase("limp/8.2/10", "$all needs every listed value in the array", "$all matches arrays holding every listed value.", []int{2}, attr("l", op("$all", []any{2, 3}))),
		opCase("limp/8.2/11", "$regex matches case-insensitively", "$regex matches the pattern case-insensitively.", []int{1, 3}, attr("s", op("$regex", "^(alpha|gamma)$"))),
		{
			ID: "limp/8.3/1", Level: must,
			Title:       "$sort, then $skip and $limit; total ignores them",
			Requirement: "$sort orders, $skip and $limit apply after the sort; total counts the matches before them, count after.",
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.read(op("$sort", attr("n", -1)), op("$skip", 1), op("$limit", 1))
				f.want(r, true, 2)
				if r.num("total") != 3 {
					t.Failf("total 3", "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/8.3/2", Level: must,
			Title:       "$attrs returns only the listed attributes and _id",
			Requirement: "$attrs projects the docs on the listed attributes; _id is always kept.",
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.read(attr("n", 1), op("$attrs", []any{"n"}))
				d := r.docs()
				if len(d) != 1 || len(d[0]) != 2 || d[0]["n"] != 1.0 || d[0]["_id"] != f.ids[0] {
					t.Failf("one doc {_id, n}", "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/8.3/3", Level: must,
			Title:       "without $sort, newest documents come first (_id descending)",
			Requirement: "The default sort is _id descending.",
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				f.want(f.read(), true, 3, 2, 1)
			},
		},
		{
			ID: "limp/8.3/4", Level: must,
			Title:       "special keys apply from nested objects too",
			Requirement: "Keys starting with $ may stand in any object, nested ones included, and apply to the whole query.",
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				f.want(f.read(map[string]any{"n": op("$gte", 1), "$limit": 1, "$sort": attr("n", 1)}), true, 1)
			},
		},
		{
			ID: "limp/8.4/1", Level: must,
			Title:       "$add increments a number",
			Requirement: `{"$add": n} adds n to the attribute.`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				if d := f.update(2, attr("n", op("$add", 5))); d["n"] != 7.0 {
					t.Failf("n 7", "%v", d)
				}
			},
		},
		{
			ID: "limp/8.4/2", Level: must,
			Title:       "$multiply multiplies a number",
			Requirement: `{"$multiply": n} multiplies the attribute by n.`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				if d := f.update(3, attr("n", op("$multiply", 4))); d["n"] != 12.0 {
					t.Failf("n 12", "%v", d)
				}
			},
		},
		{
			ID: "limp/8.4/3", Level: must,
			Title:       "$append appends; with $unique a value already there is skipped",
			Requirement: `{"$append": v} appends v to an array; with "$unique": true a value already there is not appended.`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				d := f.update(1, attr("l", map[string]any{"$append": 2, "$unique": true}))
				if fmt.Sprint(d["l"]) != "[1 2]" {
					t.Failf("l [1 2] ($unique skips 2)", "%v", d["l"])
				}
				d = f.update(1, attr("l", op("$append", 5)))
				if fmt.Sprint(d["l"]) != "[1 2 5]" {
					t.Failf("l [1 2 5]", "%v", d["l"])
				}
			},
		},
		{
			ID: "limp/8.4/4", Level: must,
			Title:       "$remove removes the listed values from an array",
			Requirement: `{"$remove": [v...]} removes those values from the array.`,
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				d := f.update(2, attr("l", op("$remove", []any{2})))
				if fmt.Sprint(d["l"]) != "[3]" {
					t.Failf("l [3]", "%v", d["l"])
				}
			},
		},
		{
			ID: "limp/8.5/1", Level: must,
			Title:       "a delete with $soft hides the document from reads",
			Requirement: "A delete whose query has $soft: true marks the docs deleted; reads no longer return them.",
			Run: func(ctx context.Context, t *conformance.T) {
				f := seed(ctx, t)
				r := f.c.call(f.coll+"/delete", []any{map[string]any{"_id": f.ids[1]}, op("$soft", true)}, nil)
				f.c.expect(r, 200, "")
				f.want(f.read(), false, 1, 3)
			},
		},
	}
	return cases
}
