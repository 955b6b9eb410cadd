package limpwire

// Q is a LIMP query built step by step (docs/protocols/limp.md section
// 8). It is the raw []any a call carries, so it can be passed to
// Client.Call as is, and raw steps can be appended to it:
//
//	q := limpwire.Q{}.Eq("status", "active").Op("age", "$gte", 18).
//		Or(limpwire.Q{}.Eq("role", "admin"), limpwire.Q{}.Eq("role", "editor")).
//		Sort("age", -1).Limit(10)
//	r, err := c.Call(ctx, "user/read", q, nil)
type Q []any

// Eq adds the step {attr: v} (equality).
func (q Q) Eq(attr string, v any) Q { return append(q, map[string]any{attr: v}) }

// Op adds the step {attr: {op: v}}, op one of $eq $ne $gt $gte $lt $lte
// $bet $all $in $nin $regex.
func (q Q) Op(attr, op string, v any) Q {
	return append(q, map[string]any{attr: map[string]any{op: v}})
}

// Or adds a nested array step: the documents matching any of alts (each
// alternative is the AND of its own steps).
func (q Q) Or(alts ...Q) Q {
	l := make([]any, len(alts))
	for i, a := range alts {
		if len(a) == 1 {
			l[i] = a[0]
		} else {
			l[i] = []any(a)
		}
	}
	return append(q, l)
}

// Sort adds {"$sort": {attr: dir}}, dir 1 or -1. One key per query: a Go
// map does not keep the order several keys would need.
func (q Q) Sort(attr string, dir int) Q {
	return append(q, map[string]any{"$sort": map[string]any{attr: dir}})
}

// Skip adds {"$skip": n}.
func (q Q) Skip(n int) Q { return append(q, map[string]any{"$skip": n}) }

// Limit adds {"$limit": n}.
func (q Q) Limit(n int) Q { return append(q, map[string]any{"$limit": n}) }

// Attrs adds {"$attrs": [...]}: return only these attributes (and _id).
func (q Q) Attrs(attrs ...string) Q {
	l := make([]any, len(attrs))
	for i, a := range attrs {
		l[i] = a
	}
	return append(q, map[string]any{"$attrs": l})
}

// Raw returns q as the []any Call takes.
func (q Q) Raw() []any { return q }
