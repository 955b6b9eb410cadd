package simplepush

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The client-message parser scans the frame in place instead of decoding
// it through encoding/json into a map: one validating pass over the whole
// frame, then the members the message type needs are decoded from their
// spans. It accepts and rejects exactly what the map-based decoder did
// (a differential fuzz target in scan_test.go holds it to that):
//
//   - the frame is trimmed with bytes.TrimSpace (Unicode spaces too) and
//     must then be one object that encoding/json's scanner accepts,
//     including its nesting limit of 10000;
//   - member names are compared after unescaping; among duplicates the
//     last one wins; in a folding dialect an exact name wins over ASCII
//     case variants, and among variants the smallest name does;
//   - strings decode as encoding/json decodes them (invalid UTF-8 and
//     lone surrogates become U+FFFD).

// maxNestingDepth is encoding/json's limit on nested arrays and objects.
const maxNestingDepth = 10000

// span is one object member: its name (between the quotes, unescaped
// when it had a backslash) and its value, without surrounding space.
type span struct {
	key []byte
	val []byte
}

// smallObject is the number of members kept without allocation.
const smallObject = 8

// isSpace is JSON's insignificant white space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanValue checks the JSON value at b[i:] (no leading space) and returns
// the index just past it. depth is the number of arrays and objects that
// enclose it.
func scanValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '{':
		return scanObject(b, i, depth+1)
	case c == '[':
		return scanArray(b, i, depth+1)
	case c == '"':
		return scanString(b, i)
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, false
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// scanNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		digits()
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, false
		}
	}
	return i, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanString checks the string at b[i] == '"': no control characters,
// only JSON's escapes. Bytes from 0x20 up are taken as they are (invalid
// UTF-8 too, as encoding/json does).
func scanString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(b) {
				return 0, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return 0, false
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

func scanArray(b []byte, i, depth int) (int, bool) {
	if depth > maxNestingDepth {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = scanValue(b, i, depth); !ok {
			return 0, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// scanObject checks the object at b[i] == '{'.
func scanObject(b []byte, i, depth int) (int, bool) {
	if depth > maxNestingDepth {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		kend, ok := scanString(b, i)
		if !ok {
			return 0, false
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipSpace(b, i+1)
		if i, ok = scanValue(b, i, depth); !ok {
			return 0, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// scanTop reads a whole frame as one object: bytes.TrimSpace, then
// exactly one valid JSON object, which it returns.
func scanTop(b []byte) ([]byte, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	end, ok := scanObject(b, 0, 1)
	return b, ok && end == len(b)
}

// members appends the members of obj, a valid object, to list; names
// with a backslash are unescaped. The caller passes a small array's
// slice, so a small object costs no allocation.
func members(obj []byte, list []span) []span {
	for k, v, i, ok := nextMember(obj, 1); ok; k, v, i, ok = nextMember(obj, i) {
		if bytes.IndexByte(k, '\\') >= 0 {
			k = unescapeKey(k)
		}
		list = append(list, span{key: k, val: v})
	}
	return list
}

// nextMember walks a valid object like nextElem walks an array.
func nextMember(obj []byte, i int) (key, val []byte, next int, ok bool) {
	i = skipSpace(obj, i)
	if i < len(obj) && obj[i] == ',' {
		i = skipSpace(obj, i+1)
	}
	if i >= len(obj) || obj[i] != '"' {
		return nil, nil, i, false
	}
	kend, _ := scanString(obj, i)
	key = obj[i+1 : kend-1]
	i = skipSpace(obj, skipSpace(obj, kend)+1) // past ':'
	end, _ := scanValue(obj, i, 0)
	return key, obj[i:end], end, true
}

// nextElem walks a valid array: given the index after '[' or after the
// previous element, it returns the next element and the index after it,
// or ok false at the end.
func nextElem(arr []byte, i int) (elem []byte, next int, ok bool) {
	i = skipSpace(arr, i)
	if i < len(arr) && arr[i] == ',' {
		i = skipSpace(arr, i+1)
	}
	if i >= len(arr) || arr[i] == ']' {
		return nil, i, false
	}
	end, _ := scanValue(arr, i, 0)
	return arr[i:end], end, true
}

// equalFoldKey is equalFoldASCII for a member name.
func equalFoldKey(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := 0; i < len(key); i++ {
		x, y := key[i], name[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// unescapeKey decodes a member name (as written, with a backslash) as
// encoding/json does.
func unescapeKey(key []byte) []byte {
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	var s string
	_ = json.Unmarshal(q, &s) // valid: scanned already
	return []byte(s)
}

// find returns the value of member name: the last exact match, or (fold)
// the last member under the smallest name equal to name in ASCII case.
// Names were unescaped by add; a name with other non-ASCII bytes never
// equals an ASCII name, whether or not its invalid UTF-8 was replaced.
func find(list []span, name string, fold bool) ([]byte, bool) {
	for i := len(list) - 1; i >= 0; i-- {
		if string(list[i].key) == name {
			return list[i].val, true
		}
	}
	if !fold {
		return nil, false
	}
	var best, val []byte
	found := false
	for _, m := range list {
		if equalFoldKey(m.key, name) && (!found || bytes.Compare(m.key, best) <= 0) {
			best, val, found = m.key, m.val, true
		}
	}
	return val, found
}

// scanIsNull reports whether a value span is the JSON null.
func scanIsNull(v []byte) bool { return string(v) == "null" }

// scanStr decodes a string value span; ok is false for any other
// value. Plain valid UTF-8 costs one allocation (the string itself).
func scanStr(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// scanUint decodes a number span that is a non-negative integer fitting
// in 64 bits, without fraction, exponent or leading zero.
func scanUint(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 1 && v[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// scanInt decodes a number span that is an integer fitting in 64 bits,
// without fraction or exponent (what encoding/json puts into an int64).
func scanInt(v []byte) (int64, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	u, ok := scanUint(v)
	switch {
	case !ok:
		return 0, false
	case neg && u <= 1<<63:
		return -int64(u), true // -(1<<63) wraps to itself: MinInt64
	case !neg && u < 1<<63:
		return int64(u), true
	}
	return 0, false
}
