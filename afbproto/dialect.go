package afbproto

import (
	"fmt"
	"strings"
)

// Dialect selects which upstream generation's JSON shape the encoders
// produce (spec §2). The zero value is DialectV6, the reference peer.
type Dialect uint8

const (
	// DialectV6 is afb-daemon of mid 2019 (AGL "6.x"): request members in
	// the order status, info, token, uuid, reqid; 4-element replies carry
	// a refreshed token.
	DialectV6 Dialect = iota
	// DialectV1 is afb-daemon of 2016: request members status, info,
	// reqid, token, uuid.
	DialectV1
	// DialectAGLFinal is afb-daemon after November 2019: no token and no
	// uuid in replies, no 4-element replies.
	DialectAGLFinal
	// DialectLibafb is redpesk libafb v4/v5: jtype first, request has an
	// integer code, response last.
	DialectLibafb
)

var dialectNames = [...]string{"V6-2019", "V1-2016", "AGL-final", "libafb"}

func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return fmt.Sprintf("Dialect(%d)", d)
}

// ParseDialect accepts a dialect name as printed by String, or a short
// form: "2016"/"v1", "2019"/"v6", "agl"/"final", "libafb".
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(s) {
	case "v6-2019", "2019", "v6", "":
		return DialectV6, nil
	case "v1-2016", "2016", "v1":
		return DialectV1, nil
	case "agl-final", "agl", "final":
		return DialectAGLFinal, nil
	case "libafb":
		return DialectLibafb, nil
	}
	return 0, fmt.Errorf("afbproto: unknown dialect %q", s)
}
