package limpwire

// The query language of LIMP 6.0 (docs/protocols/limp.md, section 8),
// compiled once by ParseQuery into a Query that both stores evaluate with
// MongoDB's semantics, the way upstream's data layer hands it to MongoDB:
//
//   - the top-level list is an AND of steps; a dict step is the AND of its
//     attributes; a list step is the OR of its children; a key starting
//     with "__or" holds a list OR-ed and AND-ed into its dict; empty steps
//     constrain nothing and are dropped, as upstream drops them;
//   - "$" keys are lifted out of any dict, anywhere: $search, $sort,
//     $skip, $limit, $attrs, $extn, $group, $geo_near, $soft;
//   - an attribute value is equality, or an object of operators ($eq $ne
//     $gt $gte $lt $lte $bet $all $in $nin $regex), AND-ed when there are
//     several; 24-hex values of _id are ObjectIDs.
//
// Where this departs from 6.0 (each also listed in doc.go): an unknown
// operator, $not included, is a *QueryError rather than a call that never
// gets a reply; a multi-key operator object is checked operator by operator
// (6.0 hands it to MongoDB unchecked, so {$exists: true, $ne: 1} worked
// there and fails here, and {$bet: …, $ne: …} lost its $ne there); $sort
// with several keys sorts them by name (a JSON object decoded into a Go map
// has no order) and every sort ends with _id descending so that ties come
// out the same from every store; $regex is RE2 syntax, always
// case-insensitive; only _id (and attributes ending in "._id") convert
// 24-hex strings to ObjectIDs, since the store knows no module schema.

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// ErrInvalidQuery is matched (errors.Is) by every *QueryError.
var ErrInvalidQuery = errors.New("limpwire: invalid query")

// QueryError reports a query that cannot be compiled: an unknown operator
// (such as "$not", which LIMP 6.0 does not accept), a malformed special key,
// an operand of the wrong type. A server answers it with a 400.
type QueryError struct {
	// Path locates the offending part, e.g. "[0].age.$not" or "$limit".
	Path string
	// Msg says what is wrong with it.
	Msg string
}

func (e *QueryError) Error() string {
	if e.Path == "" {
		return "limpwire: invalid query: " + e.Msg
	}
	return "limpwire: invalid query at " + e.Path + ": " + e.Msg
}

// Is makes errors.Is(err, ErrInvalidQuery) true.
func (e *QueryError) Is(target error) bool { return target == ErrInvalidQuery }

// CondKind tells what a Cond node is.
type CondKind uint8

// The kinds of Cond nodes.
const (
	// CondAnd matches when all its children match (an empty And matches all).
	CondAnd CondKind = iota
	// CondOr matches when one of its children matches (an empty Or matches
	// nothing; the compiler never produces one).
	CondOr
	// CondAttr tests one attribute with one operator.
	CondAttr
)

// Cond is a compiled query condition, a tree of And and Or nodes whose leaves
// test one attribute each. Stores translate it; it is never mutated after
// ParseQuery returns.
type Cond struct {
	Kind     CondKind
	Children []Cond // CondAnd, CondOr
	// CondAttr: Attr is the (possibly dotted) attribute, Op one of the
	// operators "$eq" "$ne" "$gt" "$gte" "$lt" "$lte" "$all" "$in" "$nin"
	// "$regex" ($bet is compiled to $gte and $lte), Value its operand:
	// a JSON-shaped value, []any for $all/$in/$nin, a string for $regex.
	// Values of "_id" that are 24-hex strings are ObjectID.
	Attr  string
	Op    string
	Value any
}

// SortKey is one $sort key: Dir is 1 (ascending) or -1 (descending).
type SortKey struct {
	Attr string
	Dir  int
}

// Group is one $group request: Count buckets of attribute By.
type Group struct {
	By    string `json:"by"`
	Count int    `json:"count"`
}

// GeoNear is the $geo_near special key: documents within Dist metres of the
// point Val ([lng, lat]) stored under Attr.
type GeoNear struct {
	Val  [2]float64
	Attr string
	Dist float64
}

// Query is a compiled LIMP query. The zero value is not valid; use
// ParseQuery (ParseQuery(nil) matches every document).
type Query struct {
	cond      Cond
	search    string
	hasSearch bool
	sort      []SortKey // never empty: defaults to _id descending
	sortSet   bool
	skip      int
	limit     int // 0 means no limit
	attrs     []string
	extn      any // nil (absent), false, or []string
	groups    []Group
	geoNear   *GeoNear
	soft      any // the raw $soft value, nil when absent
}

// Cond returns the compiled filter (without the soft-delete condition,
// which every store adds).
func (q *Query) Cond() Cond { return q.cond }

// Search returns the $search text and whether the query has one.
func (q *Query) Search() (string, bool) { return q.search, q.hasSearch }

// Sort returns the sort keys: $sort's (several keys in the order of their
// names, as JSON objects decoded into Go maps have no order), or _id
// descending by default. Stores sort by SortWithTieBreak.
func (q *Query) Sort() []SortKey { return slices.Clone(q.sort) }

// SortWithTieBreak returns Sort followed by _id descending when _id is not
// already a key, so that ties are broken the same way in every store
// (MongoDB leaves the order of equal keys unspecified).
func (q *Query) SortWithTieBreak() []SortKey {
	s := slices.Clone(q.sort)
	for _, k := range s {
		if k.Attr == "_id" {
			return s
		}
	}
	return append(s, SortKey{Attr: "_id", Dir: -1})
}

// Skip returns $skip (0 when absent).
func (q *Query) Skip() int { return q.skip }

// Limit returns $limit (0 when absent: no limit).
func (q *Query) Limit() int { return q.limit }

// Attrs returns $attrs (nil when absent: all attributes). Stores always
// keep _id.
func (q *Query) Attrs() []string { return slices.Clone(q.attrs) }

// Extn returns $extn: nil when absent, false, or the []string of attributes
// to expand.
func (q *Query) Extn() any {
	if l, ok := q.extn.([]string); ok {
		return slices.Clone(l)
	}
	return q.extn
}

// Groups returns the $group requests.
func (q *Query) Groups() []Group { return slices.Clone(q.groups) }

// GeoNear returns $geo_near, or nil.
func (q *Query) GeoNear() *GeoNear {
	if q.geoNear == nil {
		return nil
	}
	g := *q.geoNear
	return &g
}

// Soft returns the raw $soft value, or nil when absent.
func (q *Query) Soft() any { return q.soft }

// ObjectID is a 12-byte MongoDB ObjectId. LIMP ids travel as 24 lower-case
// hex digits; ParseQuery turns 24-hex values of "_id" into ObjectID.
type ObjectID [12]byte

// Hex returns the 24 lower-case hex digits of id.
func (id ObjectID) Hex() string {
	const digits = "0123456789abcdef"
	var b [24]byte
	for i, c := range id {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(b[:])
}

func (id ObjectID) String() string { return id.Hex() }

// ParseObjectID parses 24 hex digits (either case).
func ParseObjectID(s string) (ObjectID, bool) {
	var id ObjectID
	if len(s) != 24 {
		return id, false
	}
	for i := range 12 {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[i] = hi<<4 | lo
	}
	return id, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// The attribute operators of section 8.
var attrOps = map[string]bool{
	"$eq": true, "$ne": true, "$gt": true, "$gte": true, "$lt": true, "$lte": true,
	"$bet": true, "$all": true, "$in": true, "$nin": true, "$regex": true,
}

// ParseQuery compiles a raw LIMP query ([]any as decoded from JSON) or
// returns *QueryError (400-worthy, e.g. unknown operator "$not").
func ParseQuery(raw []any) (*Query, error) {
	p := &parser{q: &Query{sort: []SortKey{{Attr: "_id", Dir: -1}}}}
	var and []Cond
	for i, step := range raw {
		c, ok, err := p.step(fmt.Sprintf("[%d]", i), step, 0)
		if err != nil {
			return nil, err
		}
		if ok {
			and = append(and, c)
		}
	}
	p.q.cond = andOf(and)
	return p.q, nil
}

// MaxQueryDepth bounds the nesting of a query.
const MaxQueryDepth = 32

type parser struct{ q *Query }

func qerr(path, format string, args ...any) error {
	return &QueryError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func andOf(cs []Cond) Cond {
	if len(cs) == 1 {
		return cs[0]
	}
	return Cond{Kind: CondAnd, Children: cs}
}

// step compiles one step: a dict (AND of its attrs) or a list (OR of its
// children). ok is false for a step that constrains nothing (an empty dict
// or list, or a dict of special keys only), as upstream drops those.
func (p *parser) step(path string, step any, depth int) (Cond, bool, error) {
	if depth > MaxQueryDepth {
		return Cond{}, false, qerr(path, "nested deeper than %d", MaxQueryDepth)
	}
	switch s := step.(type) {
	case map[string]any:
		keys := sortedKeys(s)
		var and []Cond
		for _, k := range keys {
			kp := path + "." + k
			v := s[k]
			switch {
			case strings.HasPrefix(k, "__or"):
				l, isList := v.([]any)
				if !isList {
					return Cond{}, false, qerr(kp, "an __or group takes a list, got %s", typeName(v))
				}
				c, ok, err := p.or(kp, l, depth+1)
				if err != nil {
					return Cond{}, false, err
				}
				if ok {
					and = append(and, c)
				}
			case strings.HasPrefix(k, "$"):
				if err := p.special(kp, k, v); err != nil {
					return Cond{}, false, err
				}
			default:
				cs, err := p.attr(kp, k, v)
				if err != nil {
					return Cond{}, false, err
				}
				and = append(and, cs...)
			}
		}
		if len(and) == 0 {
			return Cond{}, false, nil
		}
		return andOf(and), true, nil
	case []any:
		return p.or(path, s, depth+1)
	case nil:
		return Cond{}, false, qerr(path, "a query step must be an object or a list, got null")
	default:
		return Cond{}, false, qerr(path, "a query step must be an object or a list, got %s", typeName(step))
	}
}

func (p *parser) or(path string, l []any, depth int) (Cond, bool, error) {
	var or []Cond
	for i, child := range l {
		c, ok, err := p.step(fmt.Sprintf("%s[%d]", path, i), child, depth)
		if err != nil {
			return Cond{}, false, err
		}
		if ok {
			or = append(or, c)
		}
	}
	switch len(or) {
	case 0:
		return Cond{}, false, nil
	case 1:
		return or[0], true, nil
	}
	return Cond{Kind: CondOr, Children: or}, true, nil
}

// attr compiles one attribute test: a plain value is equality; an object
// whose keys all start with "$" is one or more operators (AND-ed); any
// other object is equality to that object.
func (p *parser) attr(path, attr string, v any) ([]Cond, error) {
	if attr == "" {
		return nil, qerr(path, "empty attribute name")
	}
	if strings.HasPrefix(attr, ".") || strings.HasSuffix(attr, ".") || strings.Contains(attr, "..") ||
		strings.Contains(attr, ".$") {
		return nil, qerr(path, "malformed dotted attribute %q", attr)
	}
	m, isMap := v.(map[string]any)
	if !isMap || len(m) == 0 {
		val, err := p.value(path, attr, v)
		if err != nil {
			return nil, err
		}
		return []Cond{{Kind: CondAttr, Attr: attr, Op: "$eq", Value: val}}, nil
	}
	ops := 0
	for k := range m {
		if strings.HasPrefix(k, "$") {
			ops++
		}
	}
	if ops == 0 {
		val, err := p.value(path, attr, v)
		if err != nil {
			return nil, err
		}
		return []Cond{{Kind: CondAttr, Attr: attr, Op: "$eq", Value: val}}, nil
	}
	if ops != len(m) {
		return nil, qerr(path, "an operator object cannot mix operators and attributes")
	}
	var out []Cond
	for _, op := range sortedKeys(m) {
		op2 := path + "." + op
		if !attrOps[op] {
			if op == "$not" {
				return nil, qerr(op2, "operator $not is not supported by LIMP 6.0 (use $ne)")
			}
			return nil, qerr(op2, "unknown operator %q", op)
		}
		operand := m[op]
		switch op {
		case "$eq", "$ne":
			val, err := p.value(op2, attr, operand)
			if err != nil {
				return nil, err
			}
			out = append(out, Cond{Kind: CondAttr, Attr: attr, Op: op, Value: val})
		case "$gt", "$gte", "$lt", "$lte":
			val, err := p.scalar(op2, attr, operand)
			if err != nil {
				return nil, err
			}
			out = append(out, Cond{Kind: CondAttr, Attr: attr, Op: op, Value: val})
		case "$bet":
			l, ok := operand.([]any)
			if !ok || len(l) != 2 {
				return nil, qerr(op2, "$bet takes a list of two values [min, max]")
			}
			lo, err := p.scalar(op2+"[0]", attr, l[0])
			if err != nil {
				return nil, err
			}
			hi, err := p.scalar(op2+"[1]", attr, l[1])
			if err != nil {
				return nil, err
			}
			out = append(out,
				Cond{Kind: CondAttr, Attr: attr, Op: "$gte", Value: lo},
				Cond{Kind: CondAttr, Attr: attr, Op: "$lte", Value: hi})
		case "$all", "$in", "$nin":
			l, ok := operand.([]any)
			if !ok || len(l) == 0 {
				return nil, qerr(op2, "%s takes a non-empty list", op)
			}
			vals := make([]any, len(l))
			for i, e := range l {
				val, err := p.value(fmt.Sprintf("%s[%d]", op2, i), attr, e)
				if err != nil {
					return nil, err
				}
				vals[i] = val
			}
			out = append(out, Cond{Kind: CondAttr, Attr: attr, Op: op, Value: vals})
		case "$regex":
			s, ok := operand.(string)
			if !ok {
				return nil, qerr(op2, "$regex takes a string, got %s", typeName(operand))
			}
			if _, err := CompileRegex(s); err != nil {
				return nil, qerr(op2, "bad regular expression: %v", err)
			}
			out = append(out, Cond{Kind: CondAttr, Attr: attr, Op: op, Value: s})
		}
	}
	return out, nil
}

// CompileRegex compiles a $regex pattern as stores match it: RE2 syntax,
// case-insensitive.
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > maxRegexLen {
		return nil, fmt.Errorf("longer than %d bytes", maxRegexLen)
	}
	return regexp.Compile("(?i)" + pattern)
}

const maxRegexLen = 1024

// scalar checks the operand of a comparison: a string or a number (or an
// ObjectID for _id).
func (p *parser) scalar(path, attr string, v any) (any, error) {
	val, err := p.value(path, attr, v)
	if err != nil {
		return nil, err
	}
	switch val.(type) {
	case string, float64, int64, ObjectID:
		return val, nil
	}
	return nil, qerr(path, "comparison operand must be a string or a number, got %s", typeName(v))
}

// value normalises a query value: numbers to float64 or int64, 24-hex
// strings of _id to ObjectID; nested lists and objects are copied.
func (p *parser) value(path, attr string, v any) (any, error) {
	n, err := NormalizeValue(v)
	if err != nil {
		return nil, qerr(path, "%v", err)
	}
	if attr == "_id" || strings.HasSuffix(attr, "._id") {
		if s, ok := n.(string); ok {
			if id, ok := ParseObjectID(s); ok {
				return id, nil
			}
		}
	}
	return n, nil
}

func (p *parser) special(path, key string, v any) error {
	q := p.q
	switch key {
	case "$search":
		s, ok := v.(string)
		if !ok {
			return qerr(path, "$search takes a string, got %s", typeName(v))
		}
		q.search, q.hasSearch = s, true
	case "$sort":
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			return qerr(path, "$sort takes a non-empty object {attr: 1|-1}")
		}
		var sort []SortKey
		for _, k := range sortedKeys(m) {
			d, ok := intOf(m[k])
			if !ok || (d != 1 && d != -1) {
				return qerr(path+"."+k, "sort direction must be 1 or -1")
			}
			sort = append(sort, SortKey{Attr: k, Dir: d})
		}
		q.sort, q.sortSet = sort, true
	case "$skip", "$limit":
		n, ok := intOf(v)
		if !ok || n < 0 {
			return qerr(path, "%s takes a non-negative integer", key)
		}
		if key == "$skip" {
			q.skip = n
		} else {
			q.limit = n
		}
	case "$attrs":
		l, err := stringList(path, v)
		if err != nil {
			return err
		}
		q.attrs = reduceAttrs(l)
	case "$extn":
		if b, ok := v.(bool); ok {
			if b {
				q.extn = nil // true is the default: expand everything
			} else {
				q.extn = false
			}
			return nil
		}
		l, err := stringList(path, v)
		if err != nil {
			return qerr(path, "$extn takes false or a list of attributes")
		}
		q.extn = l
	case "$group":
		l, ok := v.([]any)
		if !ok {
			return qerr(path, "$group takes a list of {by, count}")
		}
		var gs []Group
		for i, e := range l {
			gp := fmt.Sprintf("%s[%d]", path, i)
			m, ok := e.(map[string]any)
			if !ok {
				return qerr(gp, "a $group entry is an object {by, count}")
			}
			by, ok := m["by"].(string)
			if !ok || by == "" {
				return qerr(gp+".by", "by must be a non-empty attribute name")
			}
			n, ok := intOf(m["count"])
			if !ok || n < 1 || n > MaxGroupBuckets {
				return qerr(gp+".count", "count must be an integer from 1 to %d", MaxGroupBuckets)
			}
			if len(m) != 2 {
				return qerr(gp, "a $group entry has exactly the keys by and count")
			}
			gs = append(gs, Group{By: by, Count: n})
		}
		q.groups = gs
	case "$geo_near":
		m, ok := v.(map[string]any)
		if !ok {
			return qerr(path, "$geo_near takes {val: [lng, lat], attr, dist}")
		}
		var g GeoNear
		l, ok := m["val"].([]any)
		if !ok || len(l) != 2 {
			return qerr(path+".val", "val must be [lng, lat]")
		}
		for i := range 2 {
			f, ok := floatOf(l[i])
			if !ok {
				return qerr(path+".val", "val must be [lng, lat]")
			}
			g.Val[i] = f
		}
		if g.Attr, ok = m["attr"].(string); !ok || g.Attr == "" {
			return qerr(path+".attr", "attr must be a non-empty attribute name")
		}
		if g.Dist, ok = floatOf(m["dist"]); !ok || g.Dist < 0 {
			return qerr(path+".dist", "dist must be a non-negative number")
		}
		q.geoNear = &g
	case "$soft":
		q.soft = v
	default:
		return qerr(path, "unknown special key %q", key)
	}
	return nil
}

// MaxGroupBuckets bounds a $group count.
const MaxGroupBuckets = 1000

func stringList(path string, v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, qerr(path, "takes a list of attribute names")
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, qerr(fmt.Sprintf("%s[%d]", path, i), "must be a non-empty attribute name")
		}
		out = append(out, s)
	}
	return out, nil
}

func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int(n), true
	case int:
		return n, true
	case int64:
		if n > 1<<53 || n < -(1<<53) {
			return 0, false
		}
		return int(n), true
	case int32:
		return int(n), true
	}
	return 0, false
}

func floatOf(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case float64, int, int64, int32:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// reduceAttrs sorts and dedups $attrs, drops _id (always kept) and any
// dotted attribute whose parent is listed too (MongoDB rejects such
// projections as a path collision; the parent covers it anyway).
func reduceAttrs(l []string) []string {
	l = slices.Clone(l)
	slices.Sort(l)
	l = slices.Compact(l)
	out := l[:0]
	for _, a := range l {
		if a == "_id" {
			continue
		}
		covered := false
		for _, b := range l {
			if strings.HasPrefix(a, b+".") {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, a)
		}
	}
	return out
}
