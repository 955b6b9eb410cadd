package bhttp

// QUIC variable-length integers (RFC 9000 §16), used for every length and
// number in RFC 9292.
//
// RFC 9000 §16 says values "do not need to be encoded on the minimum number
// of bytes necessary" (the only exception is the QUIC frame type, which does
// not occur here), and RFC 9292 adds no rule of its own. So the decoder
// accepts non-minimal encodings (0x4025 is 37), while the encoder always
// writes the minimal one. A value above MaxVarint has no encoding at all.

// MaxVarint is the largest value a variable-length integer can carry, 2^62-1.
const MaxVarint = 1<<62 - 1

// VarintLen returns the number of bytes AppendVarint uses for v: 1, 2, 4 or 8.
// It panics if v > MaxVarint.
func VarintLen(v uint64) int {
	switch {
	case v <= 63:
		return 1
	case v <= 16383:
		return 2
	case v <= 1<<30-1:
		return 4
	case v <= MaxVarint:
		return 8
	}
	panic("bhttp: varint value exceeds 2^62-1")
}

// AppendVarint appends the minimal encoding of v to dst. It panics if
// v > MaxVarint, which cannot be encoded; lengths of Go values never are.
func AppendVarint(dst []byte, v uint64) []byte {
	switch VarintLen(v) {
	case 1:
		return append(dst, byte(v))
	case 2:
		return append(dst, 0x40|byte(v>>8), byte(v))
	case 4:
		return append(dst, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// ConsumeVarint decodes the variable-length integer at the start of b. It
// returns the value and the number of bytes read, or n == 0 if b is too
// short. Non-minimal encodings are accepted.
func ConsumeVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}
