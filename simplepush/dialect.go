package simplepush

// Dialect selects the upstream behaviour where pushgo and autopush disagree
// on the wire (spec [DISAGREE] notes). The zero value is DialectPushgo, the
// spec's recommendation.
type Dialect uint8

const (
	// DialectPushgo: pushgo on the wire. Field names other than
	// messageType match in any case and messageType values are
	// case-insensitive; a repeated hello with the same or no uaid is
	// answered again; errors echo the request with "status" and "error"
	// and close the socket; pings faster than the minimum interval get
	// 401 and a close; empty text messages are skipped; every PUT is
	// forwarded to a connected socket, an older version too. Ack
	// semantics and the stored version follow autopush (see Options).
	DialectPushgo Dialect = iota

	// DialectAutopush: autopush (Python, SimplePush era). Field names and
	// messageType values are exact; a uaid must be 32 lower-case hex and a
	// channel ID lower-case dashed; a second hello gets 401 "duplicate
	// hello" and the socket stays open; register/unregister errors carry
	// "reason" and keep the socket open; any message other than hello
	// before the handshake, and an unknown or missing messageType after
	// it, closes the socket without a reply; missing
	// channelIDs in hello and malformed acks are ignored; pings faster
	// than the minimum interval close with 4774.
	DialectAutopush
)

func (d Dialect) String() string {
	switch d {
	case DialectPushgo:
		return "pushgo"
	case DialectAutopush:
		return "autopush"
	}
	return "unknown"
}

// ParseDialect maps "pushgo" (or "") and "autopush" to a Dialect.
func ParseDialect(s string) (Dialect, bool) {
	switch s {
	case "", "pushgo":
		return DialectPushgo, true
	case "autopush":
		return DialectAutopush, true
	}
	return 0, false
}
