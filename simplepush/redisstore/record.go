package redisstore

import (
	"github.com/appwire/appwire/simplepush"

	"strconv"
	"strings"
)

// redisChannel is one decoded "<state>:<version>:<acked>:<exp>" value of
// a Store channel hash (see Store).
type redisChannel struct {
	state          simplepush.ChannelState
	version, acked uint64
	exp            int64 // Unix ms; 0 never
}

// parseRedisChannel decodes rec; ok is false for a value this version of
// the store did not write.
func parseRedisChannel(rec string) (c redisChannel, ok bool) {
	st, rest, ok1 := strings.Cut(rec, ":")
	v, rest, ok2 := strings.Cut(rest, ":")
	a, e, ok3 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 {
		return c, false
	}
	switch st {
	case "r":
		c.state = simplepush.StateRegistered
	case "l":
		c.state = simplepush.StateLive
	case "d":
		c.state = simplepush.StateDeleted
	default:
		return c, false
	}
	var err1, err2, err3 error
	c.version, err1 = strconv.ParseUint(v, 10, 64)
	c.acked, err2 = strconv.ParseUint(a, 10, 64)
	c.exp, err3 = strconv.ParseInt(e, 10, 64)
	return c, err1 == nil && err2 == nil && err3 == nil
}

func (c redisChannel) dead(now int64) bool { return c.exp != 0 && c.exp <= now }

func (c redisChannel) pending() bool { return c.state == simplepush.StateLive && c.version > c.acked }
