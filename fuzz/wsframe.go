package fuzz

import (
	"encoding/binary"
	"math/rand"
)

// WebSocket opcodes used by the generator.
const (
	opContinuation = 0x0
	opText         = 0x1
	opPing         = 0x9
)

// appendFrame appends one client WebSocket frame (RFC 6455 §5.2) with
// any header bits, masked with a key drawn from rng unless unmasked.
func appendFrame(dst []byte, rng *rand.Rand, fin bool, rsv, op byte, unmasked bool, p []byte) []byte {
	b0 := op&0x0f | (rsv&7)<<4
	if fin {
		b0 |= 0x80
	}
	var mask byte = 0x80
	if unmasked {
		mask = 0
	}
	switch n := len(p); {
	case n < 126:
		dst = append(dst, b0, mask|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, mask|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, mask|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if unmasked {
		return append(dst, p...)
	}
	var key [4]byte
	binary.BigEndian.PutUint32(key[:], rng.Uint32())
	dst = append(dst, key[:]...)
	for i, c := range p {
		dst = append(dst, c^key[i&3])
	}
	return dst
}

// frameWire frames msg, usually as one text frame, sometimes with a
// WebSocket-level trick. Fragmentation keeps the expectation (RFC 6455
// §5.4: the message is the same); a reserved opcode or RSV bits without
// an extension (§5.2) must fail the connection; an unmasked client frame
// (§5.1) is judged only by the liveness probe.
func frameWire(rng *rand.Rand, msg []byte, name string, exp expect) ([]byte, string, expect) {
	switch k := rng.Intn(20); {
	case k < 13:
		return appendFrame(nil, rng, true, 0, opText, false, msg), name, exp
	case k < 17:
		parts := 2 + rng.Intn(4)
		var wire []byte
		for i := 0; i < parts; i++ {
			lo, hi := len(msg)*i/parts, len(msg)*(i+1)/parts
			op := byte(opContinuation)
			if i == 0 {
				op = opText
			}
			wire = appendFrame(wire, rng, i == parts-1, 0, op, false, msg[lo:hi])
			if i < parts-1 && rng.Intn(2) == 0 { // a control frame between fragments is allowed
				wire = appendFrame(wire, rng, true, 0, opPing, false, []byte("fz"))
			}
		}
		return wire, "fragment+" + name, exp
	case k == 17:
		// RFC 6455 §5.1 says a server fails the connection on an
		// unmasked client frame, but afb-daemon accepts them (its own
		// 2019 client sends them) and a binder may do the same: either
		// is acceptable, so only staying up is checked.
		return appendFrame(nil, rng, true, 0, opText, true, msg), "unmasked+" + name, expectNothing
	case k == 18:
		ops := []byte{0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf}
		return appendFrame(nil, rng, true, 0, ops[rng.Intn(len(ops))], false, msg), "reserved-opcode+" + name, expectFail
	default:
		return appendFrame(nil, rng, true, byte(1+rng.Intn(7)), opText, false, msg), "rsv-bits+" + name, expectFail
	}
}
