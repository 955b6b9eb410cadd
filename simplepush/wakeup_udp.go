package simplepush

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// UDPWakeup is the early drafts' wake-up: one datagram to the host:port
// the user agent gave in hello, as "interface": {"ip", "port"} (S1), or
// the same members in "wakeup" or pushgo's "connect" (whose "type", if
// any, must be "udp"). "protocol", if given, must be "udp". The address
// must be an IP literal: no DNS lookups on behalf of a client.
//
// A datagram to an address a client chose is a reflection risk: Allow
// filters destinations (nil allows unicast addresses only, loopback
// included) and MinInterval bounds the rate per destination.
type UDPWakeup struct {
	// Payload is the datagram; nil means "wakeup".
	Payload []byte
	// Allow, when set, must accept the destination.
	Allow func(netip.AddrPort) bool
	// MinInterval between two datagrams to one destination; zero means
	// one second, negative no limit.
	MinInterval time.Duration
	// Now is the clock of MinInterval; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	pc   *net.UDPConn
	last map[netip.AddrPort]time.Time
}

// maxUDPDestinations bounds the rate-limit table; it is cleared when full.
const maxUDPDestinations = 4096

var _ WakeupDriver = (*UDPWakeup)(nil)

// errUDPRateLimited: a datagram went to that destination too recently.
var errUDPRateLimited = errors.New("simplepush: UDP wake-up rate limited")

// Wake implements WakeupDriver.
func (u *UDPWakeup) Wake(ctx context.Context, uaid string, w *Wakeup) error {
	dst, err := udpTarget(w)
	if err != nil {
		return err
	}
	if u.Allow != nil && !u.Allow(dst) || u.Allow == nil && !unicast(dst.Addr()) {
		return fmt.Errorf("%w: destination %v not allowed", ErrWakeupUnsupported, dst)
	}
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	interval := u.MinInterval
	if interval == 0 {
		interval = time.Second
	}
	u.mu.Lock()
	if u.pc == nil {
		pc, err := net.ListenUDP("udp", nil)
		if err != nil {
			u.mu.Unlock()
			return err
		}
		u.pc = pc
	}
	if u.last == nil || len(u.last) >= maxUDPDestinations {
		u.last = map[netip.AddrPort]time.Time{}
	}
	t := now()
	if prev, ok := u.last[dst]; ok && interval > 0 && t.Sub(prev) < interval {
		u.mu.Unlock()
		return errUDPRateLimited
	}
	u.last[dst] = t
	pc := u.pc
	u.mu.Unlock()
	payload := u.Payload
	if payload == nil {
		payload = []byte("wakeup")
	}
	if d, ok := ctx.Deadline(); ok {
		_ = pc.SetWriteDeadline(d)
	}
	_, err = pc.WriteToUDPAddrPort(payload, dst)
	return err
}

// Close releases the socket.
func (u *UDPWakeup) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pc == nil {
		return nil
	}
	err := u.pc.Close()
	u.pc = nil
	return err
}

func unicast(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.IPv4Unspecified() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// udpTarget finds the destination in w.
func udpTarget(w *Wakeup) (netip.AddrPort, error) {
	if w.Protocol != "" && !strings.EqualFold(w.Protocol, "udp") {
		return netip.AddrPort{}, fmt.Errorf("%w: protocol %q", ErrWakeupUnsupported, w.Protocol)
	}
	for _, raw := range []json.RawMessage{w.Interface, w.Wakeup, w.Connect} {
		if len(raw) == 0 {
			continue
		}
		var obj struct {
			Type string          `json:"type"`
			IP   string          `json:"ip"`
			Port json.RawMessage `json:"port"`
		}
		if json.Unmarshal(raw, &obj) != nil || obj.IP == "" {
			continue
		}
		if obj.Type != "" && !strings.EqualFold(obj.Type, "udp") {
			continue
		}
		addr, err := netip.ParseAddr(obj.IP)
		if err != nil {
			continue
		}
		port, err := strconv.ParseUint(strings.Trim(string(obj.Port), `"`), 10, 16)
		if err != nil || port == 0 {
			continue
		}
		return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("%w: no UDP address", ErrWakeupUnsupported)
}
