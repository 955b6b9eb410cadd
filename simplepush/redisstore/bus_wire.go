package redisstore

import (
	"github.com/appwire/appwire/simplepush"

	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// busRequest is what Bus publishes on a node's channel:
// {"id":N,"reply":"<reply channel>","msg":<BusMessage>}. The node answers
// "<id>:1" (taken) or "<id>:0" on the reply channel.
type busRequest struct {
	ID    uint64                `json:"id"`
	Reply string                `json:"reply"`
	Msg   simplepush.BusMessage `json:"msg"`
}

func encodeBusRequest(id uint64, reply string, m simplepush.BusMessage) (string, error) {
	b, err := json.Marshal(busRequest{ID: id, Reply: reply, Msg: m})
	if err != nil {
		return "", fmt.Errorf("simplepush: redis bus: encode: %w", err)
	}
	return string(b), nil
}

func decodeBusRequest(payload string) (busRequest, error) {
	var r busRequest
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		return r, fmt.Errorf("simplepush: redis bus: bad message: %w", err)
	}
	if r.Reply == "" {
		return r, fmt.Errorf("simplepush: redis bus: message without a reply channel")
	}
	return r, nil
}

func decodeBusReply(payload string) (id uint64, ok bool, err error) {
	n, a, found := strings.Cut(payload, ":")
	id, perr := strconv.ParseUint(n, 10, 64)
	if !found || perr != nil || a != "0" && a != "1" {
		return 0, false, fmt.Errorf("simplepush: redis bus: bad answer %q", payload)
	}
	return id, a == "1", nil
}
