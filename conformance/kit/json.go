package kit

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// JSONEqual reports whether a and b are the same JSON value (member order
// and white space aside; numbers compared as float64).
func JSONEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// Member is one member of a JSON object, value as it was on the wire.
type Member struct {
	Name  string
	Value json.RawMessage
}

// Members returns the members of the JSON object raw in wire order, for
// cases that check member order and for mutants that reorder or drop
// members without re-encoding the rest. raw must be one object and
// nothing after it.
func Members(raw []byte) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []Member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		out = append(out, Member{Name: tok.(string), Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return out, nil
}

// MemberOrder returns the member names of the JSON object raw in wire
// order.
func MemberOrder(raw []byte) ([]string, error) {
	ms, err := Members(raw)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return names, nil
}

// JoinMembers encodes members as a JSON object, in order.
func JoinMembers(ms []Member) []byte {
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.Name)
		b = append(append(append(b, k...), ':'), m.Value...)
	}
	return append(b, '}')
}

// Str decodes a JSON string ("" for anything else, or when absent).
func Str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// NewID returns prefix and 16 random hex digits, for names, tags and
// session ids that must not collide with other cases running at the same
// time.
func NewID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// NewUUID returns a random (version 4) UUID as 32 lower-case hex digits.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// Dashed writes a 32-hex-digit UUID in the 36-character dashed form.
func Dashed(u string) string {
	if len(u) != 32 {
		return u
	}
	return u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:32]
}

// IsUUID reports whether s is a UUID as 32 hex digits or in the
// 36-character dashed form, any case.
func IsUUID(s string) bool {
	hexOnly := func(s string) bool {
		_, err := hex.DecodeString(s)
		return err == nil
	}
	switch len(s) {
	case 32:
		return hexOnly(s)
	case 36:
		return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hexOnly(strings.ReplaceAll(s, "-", ""))
	}
	return false
}
