package bhttp

import (
	"encoding/hex"
	"testing"
)

// TestVarintBoundaries covers every size change of RFC 9000 §16.
func TestVarintBoundaries(t *testing.T) {
	tests := []struct {
		v   uint64
		hex string
	}{
		{0, "00"},
		{63, "3f"},
		{64, "4040"},
		{16383, "7fff"},
		{16384, "80004000"},
		{1<<30 - 1, "bfffffff"},
		{1 << 30, "c000000040000000"},
		{MaxVarint, "ffffffffffffffff"},
		// RFC 9000 §A.1 examples.
		{151288809941952652, "c2197c5eff14e88c"},
		{494878333, "9d7f3e7d"},
		{15293, "7bbd"},
		{37, "25"},
	}
	for _, tt := range tests {
		got := AppendVarint(nil, tt.v)
		if hex.EncodeToString(got) != tt.hex || VarintLen(tt.v) != len(got) {
			t.Errorf("AppendVarint(%d) = %x (VarintLen %d), want %s", tt.v, got, VarintLen(tt.v), tt.hex)
		}
		b, _ := hex.DecodeString(tt.hex)
		if v, n := ConsumeVarint(append(b, 0xff)); v != tt.v || n != len(b) {
			t.Errorf("ConsumeVarint(%s) = %d, %d", tt.hex, v, n)
		}
		if _, n := ConsumeVarint(b[:len(b)-1]); n != 0 {
			t.Errorf("ConsumeVarint(%s minus one byte) read %d bytes", tt.hex, n)
		}
	}
}

// TestVarintNonMinimal: RFC 9000 §16 does not require minimal encodings
// and RFC 9292 adds no such rule, so they decode.
func TestVarintNonMinimal(t *testing.T) {
	for _, h := range []string{"4025", "80000025", "c000000000000025"} {
		b, _ := hex.DecodeString(h)
		if v, n := ConsumeVarint(b); v != 37 || n != len(b) {
			t.Errorf("ConsumeVarint(%s) = %d, %d; want 37", h, v, n)
		}
	}
}

// TestVarintTooLarge: 2^62 has no encoding.
func TestVarintTooLarge(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AppendVarint(2^62) did not panic")
		}
	}()
	AppendVarint(nil, MaxVarint+1)
}
