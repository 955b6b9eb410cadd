package limpwire

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file evaluates compiled queries in memory with MongoDB's semantics
// for the subset LIMP uses: type-bracketed comparisons in BSON's canonical
// type order, array fields matching when one element does, dotted paths
// through embedded documents and arrays, null matching missing attributes.

// typeRank is BSON's canonical comparison order of types (null and missing
// together; numbers of every width together).
func typeRank(v any) int {
	switch v.(type) {
	case belowNull:
		return 0
	case nil:
		return 1
	case float64, int64, int, int32:
		return 2
	case string:
		return 3
	case map[string]any:
		return 4
	case []any:
		return 5
	case ObjectID:
		return 7
	case bool:
		return 8
	case time.Time:
		return 9
	}
	return 100
}

// CompareValues orders two normalised values as MongoDB does: first by
// canonical type, then by value (numbers numerically across int64 and
// float64, strings bytewise, documents by their keys in sorted order,
// arrays element by element).
func CompareValues(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch x := a.(type) {
	case nil:
		return 0
	case float64, int64, int, int32:
		return compareNumbers(x, b)
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case ObjectID:
		y := b.(ObjectID)
		return bytes.Compare(x[:], y[:])
	case time.Time:
		return x.Compare(b.(time.Time))
	case []any:
		y := b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := CompareValues(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case map[string]any:
		y := b.(map[string]any)
		kx, ky := sortedKeys(x), sortedKeys(y)
		for i := 0; i < len(kx) && i < len(ky); i++ {
			// BSON compares the type of each element, then its name,
			// then its value.
			if c := cmpInt(typeRank(x[kx[i]]), typeRank(y[ky[i]])); c != 0 {
				return c
			}
			if c := strings.Compare(kx[i], ky[i]); c != 0 {
				return c
			}
			if c := CompareValues(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return cmpInt(len(kx), len(ky))
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareNumbers(a, b any) int {
	ai, aInt := asInt64(a)
	bi, bInt := asInt64(b)
	if aInt && bInt {
		return cmpInt64(ai, bi)
	}
	af, bf := asFloat(a), asFloat(b)
	// An int64 beyond 2^53 against a float64: compare exactly.
	if aInt && !bInt {
		return -compareFloatInt(bf, ai)
	}
	if bInt && !aInt {
		return compareFloatInt(af, bi)
	}
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

// compareFloatInt compares f with i exactly.
func compareFloatInt(f float64, i int64) int {
	if f < -9.223372036854775808e18 {
		return -1
	}
	if f >= 9.223372036854775808e18 {
		return 1
	}
	t := math.Trunc(f)
	if c := cmpInt64(int64(t), i); c != 0 {
		return c
	}
	switch {
	case f > t:
		return 1
	case f < t:
		return -1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	}
	return 0, false
}

func asFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case int32:
		return float64(n)
	}
	return math.NaN()
}

// valuesEqual is MongoDB equality of two values.
func valuesEqual(a, b any) bool { return typeRank(a) == typeRank(b) && CompareValues(a, b) == 0 }

// lookup returns the values that a dotted path designates in doc, with
// MongoDB's traversal of arrays: a path component applied to an array
// applies to each document element (and a numeric component also indexes
// the array). missing reports that no value was found on some branch
// (which makes {attr: null} match).
func lookup(v any, path string) (vals []any, missing bool) {
	head, rest, dotted := strings.Cut(path, ".")
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[head]
		if !ok {
			return nil, true
		}
		if !dotted {
			return []any{child}, false
		}
		return lookup(child, rest)
	case []any:
		var out []any
		if i, err := strconv.Atoi(head); err == nil && i >= 0 && strconv.Itoa(i) == head {
			if i < len(x) {
				if !dotted {
					out = append(out, x[i])
				} else {
					sub, m := lookup(x[i], rest)
					out = append(out, sub...)
					missing = missing || m
				}
			}
		}
		for _, e := range x {
			if _, isDoc := e.(map[string]any); !isDoc {
				continue
			}
			sub, m := lookup(e, path)
			out = append(out, sub...)
			missing = missing || m
		}
		if len(out) == 0 {
			missing = true
		}
		return out, missing
	}
	return nil, true
}

// anyCandidate reports whether pred holds for one of the values of a path,
// where an array counts as each of its elements and as itself.
func anyCandidate(vals []any, pred func(any) bool) bool {
	for _, v := range vals {
		if l, ok := v.([]any); ok {
			for _, e := range l {
				if pred(e) {
					return true
				}
			}
		}
		if pred(v) {
			return true
		}
	}
	return false
}

// matcher evaluates a Cond; it caches compiled regular expressions.
type matcher struct {
	cond Cond
	re   map[string]*regexp.Regexp
}

func newMatcher(c Cond) *matcher {
	m := &matcher{cond: c, re: map[string]*regexp.Regexp{}}
	m.compile(c)
	return m
}

func (m *matcher) compile(c Cond) {
	if c.Kind == CondAttr && c.Op == "$regex" {
		if re, err := CompileRegex(c.Value.(string)); err == nil {
			m.re[c.Value.(string)] = re
		}
	}
	for _, ch := range c.Children {
		m.compile(ch)
	}
}

func (m *matcher) match(doc Doc) bool { return m.eval(m.cond, doc) }

func (m *matcher) eval(c Cond, doc Doc) bool {
	switch c.Kind {
	case CondAnd:
		for _, ch := range c.Children {
			if !m.eval(ch, doc) {
				return false
			}
		}
		return true
	case CondOr:
		for _, ch := range c.Children {
			if m.eval(ch, doc) {
				return true
			}
		}
		return false
	}
	var vals []any
	var missing bool
	var one [1]any
	if !strings.Contains(c.Attr, ".") { // the common case, without allocating
		v, ok := doc[c.Attr]
		one[0], missing = v, !ok
		if ok {
			vals = one[:]
		}
	} else {
		vals, missing = lookup(doc, c.Attr)
	}
	switch c.Op {
	case "$eq":
		return eqMatch(vals, missing, c.Value)
	case "$ne":
		return !eqMatch(vals, missing, c.Value)
	case "$in":
		for _, v := range c.Value.([]any) {
			if eqMatch(vals, missing, v) {
				return true
			}
		}
		return false
	case "$nin":
		for _, v := range c.Value.([]any) {
			if eqMatch(vals, missing, v) {
				return false
			}
		}
		return true
	case "$all":
		for _, v := range c.Value.([]any) {
			if !eqMatch(vals, missing, v) {
				return false
			}
		}
		return true
	case "$gt", "$gte", "$lt", "$lte":
		return anyCandidate(vals, func(v any) bool {
			if typeRank(v) != typeRank(c.Value) {
				return false
			}
			r := CompareValues(v, c.Value)
			return (c.Op == "$gt" && r > 0) || (c.Op == "$gte" && r >= 0) ||
				(c.Op == "$lt" && r < 0) || (c.Op == "$lte" && r <= 0)
		})
	case "$regex":
		re := m.re[c.Value.(string)]
		if re == nil {
			return false
		}
		return anyCandidate(vals, func(v any) bool {
			s, ok := v.(string)
			return ok && re.MatchString(s)
		})
	}
	return false
}

// eqMatch is MongoDB's {attr: want}: an element or the whole array equals
// want; null also matches a missing attribute.
func eqMatch(vals []any, missing bool, want any) bool {
	if want == nil && missing {
		return true
	}
	return anyCandidate(vals, func(v any) bool { return valuesEqual(v, want) })
}

// belowNull is the sort value of an empty array: MongoDB sorts [] before
// null and missing attributes, in both directions' terms.
type belowNull struct{}

// sortValue is the value a document sorts by for one key: the attribute,
// or for an array its smallest element ascending and its largest
// descending (MongoDB's rule); missing sorts as null, an empty array
// before null.
func sortValue(doc Doc, attr string, dir int) any {
	var vals []any
	if !strings.Contains(attr, ".") {
		v, ok := doc[attr]
		if !ok {
			return nil
		}
		if _, isList := v.([]any); !isList {
			return v
		}
		vals = []any{v}
	} else {
		vals, _ = lookup(doc, attr)
	}
	var best any
	found := false
	for _, v := range vals {
		elems := []any{v}
		if l, ok := v.([]any); ok {
			if len(l) == 0 {
				elems = []any{belowNull{}}
			} else {
				elems = l
			}
		}
		for _, e := range elems {
			if !found || (dir > 0 && CompareValues(e, best) < 0) || (dir < 0 && CompareValues(e, best) > 0) {
				best, found = e, true
			}
		}
	}
	return best
}

// sortDocs sorts docs by keys, computing each document's sort values once.
func sortDocs(docs []Doc, keys []SortKey) {
	type keyed struct {
		doc  Doc
		vals []any
	}
	ks := make([]keyed, len(docs))
	flat := make([]any, len(docs)*len(keys))
	for i, d := range docs {
		v := flat[i*len(keys) : (i+1)*len(keys)]
		for j, k := range keys {
			v[j] = sortValue(d, k.Attr, k.Dir)
		}
		ks[i] = keyed{d, v}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		for j, k := range keys {
			if c := CompareValues(a.vals[j], b.vals[j]); c != 0 {
				return c * k.Dir
			}
		}
		return 0
	})
	for i := range ks {
		docs[i] = ks[i].doc
	}
}

// BucketAuto splits the sorted values into at most n buckets as MongoDB's
// $bucketAuto does (no granularity): about round(len/n) values each, equal
// values never split, the last bucket takes the rest; a bucket's Max is the
// next bucket's Min (the last bucket's is its largest value).
func BucketAuto(sorted []any, n int) []Bucket {
	if n < 1 || len(sorted) == 0 {
		return nil
	}
	size := int(math.Round(float64(len(sorted)) / float64(n)))
	size = max(size, 1)
	var out []Bucket
	i := 0
	for b := 0; b < n && i < len(sorted); b++ {
		last := b == n-1
		start := i
		i = min(i+size, len(sorted))
		for i < len(sorted) && (last || valuesEqual(sorted[i-1], sorted[i]) || CompareValues(sorted[i-1], sorted[i]) == 0) {
			i++
		}
		bk := Bucket{Min: sorted[start], Count: i - start}
		if i < len(sorted) {
			bk.Max = sorted[i]
		} else {
			bk.Max = sorted[i-1]
		}
		out = append(out, bk)
	}
	return out
}

// GroupValue is the value $bucketAuto groups a document by: the attribute
// as the expression "$attr" evaluates (missing is null; an array stays an
// array).
func GroupValue(doc Doc, attr string) any {
	vals, _ := lookup(doc, attr)
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return vals[0]
	}
	// A dotted path through an array of documents evaluates to the array
	// of the values found.
	return vals
}

// project keeps _id and the attributes listed (dotted paths keep
// sub-attributes of embedded documents, element-wise through arrays).
func project(doc Doc, attrs []string) Doc {
	out := Doc{}
	if id, ok := doc["_id"]; ok {
		out["_id"] = id
	}
	for _, a := range attrs {
		projectPath(doc, out, a)
	}
	return out
}

func projectPath(src, dst Doc, path string) {
	head, rest, dotted := strings.Cut(path, ".")
	v, ok := src[head]
	if !ok {
		return
	}
	if !dotted {
		dst[head] = v
		return
	}
	switch x := v.(type) {
	case map[string]any:
		sub, _ := dst[head].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
		}
		projectPath(x, sub, rest)
		dst[head] = sub
	case []any:
		prev, _ := dst[head].([]any)
		var out []any
		j := 0
		for _, e := range x {
			d, isDoc := e.(map[string]any)
			if !isDoc {
				continue
			}
			var sub map[string]any
			if j < len(prev) {
				sub, _ = prev[j].(map[string]any)
			}
			if sub == nil {
				sub = map[string]any{}
			}
			projectPath(d, sub, rest)
			out = append(out, sub)
			j++
		}
		if out == nil {
			out = []any{}
		}
		dst[head] = out
	}
}
