package limpwire

import "fmt"

// Raw returns q in a canonical raw form, which ParseQuery compiles back to
// the same Query: the condition as one step (an AND as a dict of
// single-child __or groups, an OR as a list, a leaf as {attr: {op: v}}),
// then a dict of the special keys. Tests and logs use it.
func (q *Query) Raw() []any {
	var out []any
	if !(q.cond.Kind == CondAnd && len(q.cond.Children) == 0) {
		out = append(out, rawCond(q.cond))
	}
	sp := map[string]any{}
	if q.hasSearch {
		sp["$search"] = q.search
	}
	if q.sortSet {
		m := map[string]any{}
		for _, k := range q.sort {
			m[k.Attr] = float64(k.Dir)
		}
		sp["$sort"] = m
	}
	if q.skip > 0 {
		sp["$skip"] = float64(q.skip)
	}
	if q.limit > 0 {
		sp["$limit"] = float64(q.limit)
	}
	if q.attrs != nil {
		sp["$attrs"] = stringsToAny(q.attrs)
	}
	switch e := q.extn.(type) {
	case bool:
		sp["$extn"] = e
	case []string:
		sp["$extn"] = stringsToAny(e)
	}
	if q.groups != nil {
		l := make([]any, len(q.groups))
		for i, g := range q.groups {
			l[i] = map[string]any{"by": g.By, "count": float64(g.Count)}
		}
		sp["$group"] = l
	}
	if g := q.geoNear; g != nil {
		sp["$geo_near"] = map[string]any{"val": []any{g.Val[0], g.Val[1]}, "attr": g.Attr, "dist": g.Dist}
	}
	if q.soft != nil {
		sp["$soft"] = q.soft
	}
	if len(sp) > 0 {
		out = append(out, sp)
	}
	if out == nil {
		out = []any{}
	}
	return out
}

func stringsToAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func rawCond(c Cond) any {
	switch c.Kind {
	case CondAnd:
		m := make(map[string]any, len(c.Children))
		for i, ch := range c.Children {
			m[fmt.Sprintf("__or%04d", i)] = []any{rawCond(ch)}
		}
		return m
	case CondOr:
		l := make([]any, len(c.Children))
		for i, ch := range c.Children {
			l[i] = rawCond(ch)
		}
		return l
	}
	return map[string]any{c.Attr: map[string]any{c.Op: ExportValue(c.Value)}}
}
