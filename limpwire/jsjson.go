package limpwire

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file encodes JSON the way JavaScript's JSON.stringify does, which
// is what the Angular SDK (through jsrsasign) signs and what it feeds to
// the auth and reauth hashes: no spaces, "<", ">" and "&" left as they
// are, non-ASCII characters raw (U+2028 and U+2029 included), control
// characters as \b \t \n \f \r or \u00xx with lower-case hex, and numbers
// in ECMAScript's Number::toString form. encoding/json differs on all of
// these, and a byte of difference changes a hash or a signature.
//
// One thing cannot be reproduced: JavaScript keeps an object's keys in
// insertion order, a Go map has none, so map keys are written sorted.
// Call encodes its own claims in the SDK's order (see appendPayload).

// appendJSString appends s as a JSON string literal. Invalid UTF-8 bytes
// become U+FFFD (JavaScript strings cannot hold them).
func appendJSString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSNumber appends f as ECMAScript's Number::toString would
// (JSON.stringify writes NaN and the infinities as null).
func appendJSNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if f == 0 {
		return append(b, '0') // -0 too
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-tripping digits and the decimal exponent n such
	// that the value is 0.digits × 10^n, as the ECMAScript algorithm has.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(string(e), "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, "0."...)
		for range -n {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

// appendJSValue appends v, a value as encoding/json decodes it into an
// any (or a Go scalar, slice or map of such), in JSON.stringify's form.
// Values of other types go through encoding/json.
func appendJSValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if v {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendJSString(b, v), nil
	case float64:
		return appendJSNumber(b, v), nil
	case float32:
		return appendJSNumber(b, float64(v)), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return b, err
		}
		return appendJSNumber(b, f), nil
	case []byte:
		// Raw bytes are file content: 6.0 sends them as true.
		return append(b, "true"...), nil
	case time.Time:
		// datetime values go out as Python's isoformat() writes them.
		return appendJSString(b, isoTime(v)), nil
	case interface{ Hex() string }: // ObjectID
		return appendJSString(b, v.Hex()), nil
	case json.RawMessage:
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return b, err
		}
		return appendJSValue(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSString(b, e)
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSValue(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	var x any
	if err := json.Unmarshal(j, &x); err != nil {
		return b, err
	}
	return appendJSValue(b, x)
}

// isoTime formats t in UTC as Python's datetime.isoformat() does for a
// naive datetime, which is how 6.0 writes dates (session expiry, ...).
func isoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}
