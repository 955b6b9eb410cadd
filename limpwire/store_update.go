package limpwire

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// UpdateOp is one compiled attribute update.
type UpdateOp struct {
	// Attr is the (possibly dotted) attribute.
	Attr string
	// Op is "$set" (a plain value), "$add", "$multiply", "$append" or
	// "$remove".
	Op string
	// Value is the operand: the new value ($set), a number ($add,
	// $multiply), the element to append ($append) or the []any of elements
	// to remove ($remove).
	Value any
	// Unique is $append's "$unique": append only when absent.
	Unique bool
}

// Update is a compiled LIMP update document.
type Update struct{ ops []UpdateOp }

// Ops returns the compiled operations, sorted by attribute.
func (u *Update) Ops() []UpdateOp { return slices.Clone(u.ops) }

// ParseUpdate compiles an update document: a plain value sets the
// attribute; {"$add": n} increments, {"$multiply": n} multiplies,
// {"$append": v} appends (only when absent with "$unique": true) and
// {"$remove": [v…]} removes every occurrence of the values. Errors match
// ErrInvalidDoc.
func ParseUpdate(update Doc) (*Update, error) {
	u := &Update{}
	keys := sortedKeys(update)
	for i, attr := range keys {
		if err := checkUpdatePath(attr); err != nil {
			return nil, err
		}
		if i > 0 && strings.HasPrefix(attr, keys[i-1]+".") {
			return nil, fmt.Errorf("%w: updating both %q and %q", ErrInvalidDoc, keys[i-1], attr)
		}
		for _, prev := range keys[:i] {
			if strings.HasPrefix(attr, prev+".") {
				return nil, fmt.Errorf("%w: updating both %q and %q", ErrInvalidDoc, prev, attr)
			}
		}
		raw, err := NormalizeValue(update[attr])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidDoc, attr, err)
		}
		op, err := parseUpdateOp(attr, raw)
		if err != nil {
			return nil, err
		}
		u.ops = append(u.ops, op)
	}
	if len(u.ops) == 0 {
		return nil, fmt.Errorf("%w: empty update", ErrInvalidDoc)
	}
	return u, nil
}

func checkUpdatePath(attr string) error {
	if attr == "" || strings.HasPrefix(attr, "$") || strings.HasPrefix(attr, ".") ||
		strings.HasSuffix(attr, ".") || strings.Contains(attr, "..") {
		return fmt.Errorf("%w: bad attribute name %q", ErrInvalidDoc, attr)
	}
	for _, part := range strings.Split(attr, ".") {
		if strings.HasPrefix(part, "$") {
			return fmt.Errorf("%w: attribute %q: no part may start with $ (positional updates are not LIMP's)", ErrInvalidDoc, attr)
		}
	}
	if attr == "_id" || strings.HasPrefix(attr, "_id.") {
		return fmt.Errorf("%w: _id cannot be updated", ErrInvalidDoc)
	}
	return nil
}

func parseUpdateOp(attr string, v any) (UpdateOp, error) {
	m, isMap := v.(map[string]any)
	dollar := 0
	for k := range m {
		if strings.HasPrefix(k, "$") {
			dollar++
		}
	}
	if !isMap || dollar == 0 {
		if err := checkNames(v, 0); err != nil {
			return UpdateOp{}, err
		}
		return UpdateOp{Attr: attr, Op: "$set", Value: v}, nil
	}
	bad := func(format string, args ...any) (UpdateOp, error) {
		return UpdateOp{}, fmt.Errorf("%w: %s: %s", ErrInvalidDoc, attr, fmt.Sprintf(format, args...))
	}
	if dollar != len(m) {
		return bad("an operator object cannot mix operators and attributes")
	}
	switch {
	case len(m) == 1 && m["$add"] != nil, len(m) == 1 && m["$multiply"] != nil:
		for op, n := range m {
			if typeRank(n) != 2 {
				return bad("%s takes a number", op)
			}
			return UpdateOp{Attr: attr, Op: op, Value: n}, nil
		}
	case m["$append"] != nil || hasKey(m, "$append"):
		u, hasUnique := m["$unique"]
		if len(m) > 2 || (len(m) == 2 && !hasUnique) {
			return bad("$append takes only $unique beside it")
		}
		unique := false
		if hasUnique {
			b, ok := u.(bool)
			if !ok {
				return bad("$unique takes true or false")
			}
			unique = b
		}
		return UpdateOp{Attr: attr, Op: "$append", Value: m["$append"], Unique: unique}, nil
	case len(m) == 1 && hasKey(m, "$remove"):
		l, ok := m["$remove"].([]any)
		if !ok {
			return bad("$remove takes a list of values")
		}
		return UpdateOp{Attr: attr, Op: "$remove", Value: l}, nil
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "$push", "$push_unique", "$pull":
			return bad("%s is an older LIMP name; 6.0 uses $append, $append with $unique, $remove", k)
		case "$add", "$multiply", "$append", "$unique", "$remove":
		default:
			return bad("unknown update operator %q", k)
		}
	}
	return bad("bad combination of update operators")
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// Apply applies the update to doc in place (MongoDB's $set, $inc, $mul,
// $push/$addToSet and $pullAll). On error doc may be partly updated.
func (u *Update) Apply(doc Doc) error {
	for _, op := range u.ops {
		// $remove on a missing path is a no-op that creates nothing.
		parent, key, cur, exists, err := resolveForUpdate(doc, op.Attr, op.Op != "$remove")
		if parent == nil && err == nil {
			continue
		}
		if err != nil {
			return err
		}
		var next any
		switch op.Op {
		case "$set":
			next = deepCopy(op.Value)
		case "$add", "$multiply":
			if !exists {
				if op.Op == "$add" {
					next = op.Value
				} else {
					next = zeroLike(op.Value)
				}
				break
			}
			if typeRank(cur) != 2 {
				return fmt.Errorf("%w: %s on %s, which is not a number", ErrInvalidDoc, op.Op, op.Attr)
			}
			if next, err = arith(op.Op, cur, op.Value); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrInvalidDoc, op.Attr, err)
			}
		case "$append":
			var l []any
			if exists {
				var ok bool
				if l, ok = cur.([]any); !ok {
					return fmt.Errorf("%w: $append to %s, which is not a list", ErrInvalidDoc, op.Attr)
				}
			}
			if op.Unique && slices.ContainsFunc(l, func(e any) bool { return valuesEqual(e, op.Value) }) {
				continue
			}
			next = append(slices.Clone(l), deepCopy(op.Value))
		case "$remove":
			if !exists {
				continue
			}
			l, ok := cur.([]any)
			if !ok {
				return fmt.Errorf("%w: $remove from %s, which is not a list", ErrInvalidDoc, op.Attr)
			}
			rm := op.Value.([]any)
			next = slices.DeleteFunc(slices.Clone(l), func(e any) bool {
				return slices.ContainsFunc(rm, func(r any) bool { return valuesEqual(e, r) })
			})
		}
		if err := setAt(parent, key, next); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidDoc, op.Attr, err)
		}
	}
	return nil
}

func zeroLike(n any) any {
	if _, ok := n.(int64); ok {
		return int64(0)
	}
	return float64(0)
}

// arith computes cur+n or cur*n with BSON's result types: int64 op int64
// stays int64 (an overflow is an error, as in MongoDB); anything with a
// double is a double.
func arith(op string, cur, n any) (any, error) {
	a, aInt := asInt64(cur)
	b, bInt := asInt64(n)
	if aInt && bInt {
		if op == "$add" {
			s := a + b
			if (b > 0 && s < a) || (b < 0 && s > a) {
				return nil, fmt.Errorf("integer overflow")
			}
			return s, nil
		}
		if a == 0 || b == 0 {
			return int64(0), nil
		}
		p := a * b
		if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return nil, fmt.Errorf("integer overflow")
		}
		return p, nil
	}
	if op == "$add" {
		return asFloat(cur) + asFloat(n), nil
	}
	return asFloat(cur) * asFloat(n), nil
}

// resolveForUpdate walks a dotted path, creating missing embedded documents
// on the way as MongoDB does (when create is set; otherwise a missing one
// returns a nil parent), and returns the container of the last component.
func resolveForUpdate(doc Doc, path string, create bool) (parent any, key string, cur any, exists bool, err error) {
	parts := strings.Split(path, ".")
	var node any = doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch x := node.(type) {
		case map[string]any:
			child, ok := x[p]
			if last {
				return x, p, child, ok, nil
			}
			if !ok {
				if !create {
					return nil, "", nil, false, nil
				}
				child = map[string]any{}
				x[p] = child
			}
			node = child
		case []any:
			idx, convErr := strconv.Atoi(p)
			if convErr != nil || idx < 0 || strconv.Itoa(idx) != p || idx > maxArrayPad {
				return nil, "", nil, false, fmt.Errorf("%w: cannot use part %q of %s to traverse a list", ErrInvalidDoc, p, path)
			}
			if last {
				if idx < len(x) {
					return x, p, x[idx], true, nil
				}
				return x, p, nil, false, nil
			}
			if idx >= len(x) || x[idx] == nil {
				return nil, "", nil, false, fmt.Errorf("%w: %s: no element %d to traverse", ErrInvalidDoc, path, idx)
			}
			node = x[idx]
		default:
			return nil, "", nil, false, fmt.Errorf("%w: cannot create %s: %s is %s", ErrInvalidDoc, path,
				strings.Join(parts[:i], "."), typeName(node))
		}
	}
	return nil, "", nil, false, fmt.Errorf("%w: bad path %q", ErrInvalidDoc, path)
}

// maxArrayPad bounds the index an update may write into a list.
const maxArrayPad = 1 << 16

func setAt(parent any, key string, v any) error {
	switch x := parent.(type) {
	case map[string]any:
		x[key] = v
		return nil
	case []any:
		idx, _ := strconv.Atoi(key)
		if idx < len(x) {
			x[idx] = v
			return nil
		}
		return fmt.Errorf("index %d beyond the end of the list", idx)
	}
	return fmt.Errorf("cannot set %q", key)
}
