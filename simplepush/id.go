package simplepush

import (
	"crypto/rand"
	"encoding/hex"
)

// Identifier rules (spec section 2). pushgo accepts a UUID written as 32
// hex digits or in the 36-character dashed form, in any case; autopush
// accepts a uaid only as 32 lower-case hex digits and a channel ID only in
// the lower-case dashed form.

// NewUAID returns a fresh random (version 4) UUID as 32 lower-case hex
// digits, the form both upstream servers generate.
func NewUAID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hex.EncodeToString(u[:])
}

// NewChannelID returns a fresh random UUID in the lower-case dashed form,
// valid in every dialect.
func NewChannelID() string {
	u := NewUAID()
	return u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:32]
}

// ValidID reports whether s is a UUID in pushgo's sense (id.Valid): 32 hex
// digits, or 36 characters with dashes at 8, 13, 18, 23 and hex elsewhere,
// any case.
func ValidID(s string) bool {
	switch len(s) {
	case 32:
		return allHex(s)
	case 36:
		return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
			allHex(s[0:8]) && allHex(s[9:13]) && allHex(s[14:18]) && allHex(s[19:23]) && allHex(s[24:36])
	}
	return false
}

// NormalizeUAID returns the canonical 32 lower-case hex form of a valid
// uaid (ValidID), or false. DialectAutopush accepts only a uaid already in
// that form.
func NormalizeUAID(s string, d Dialect) (string, bool) {
	if d == DialectAutopush {
		return s, len(s) == 32 && allHex(s) && allLowerHex(s)
	}
	if !ValidID(s) {
		return "", false
	}
	b := make([]byte, 0, 32)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			continue
		}
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b), true
}

// ValidChannelID reports whether the server accepts s in register and
// unregister: ValidID under DialectPushgo, the lower-case dashed form
// under DialectAutopush. Channel IDs are kept as sent, never normalised:
// the user agent must see its own string in notifications.
func ValidChannelID(s string, d Dialect) bool {
	if d == DialectAutopush {
		return len(s) == 36 && ValidID(s) && allLowerHex(s)
	}
	return ValidID(s)
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// allLowerHex: no upper-case hex digit (dashes allowed; ValidID checks
// the positions).
func allLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}
