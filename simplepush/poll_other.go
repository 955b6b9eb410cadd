//go:build !linux

package simplepush

// goroutinePoller is the portable fallback: a goroutine per connection
// parked in a 1-byte read (the idle-cost design holds on Linux only).
type goroutinePoller struct{ ready func(*conn) bool }

func newPoller(ready func(*conn) bool) (poller, error) { return &goroutinePoller{ready}, nil }

func (p *goroutinePoller) add(c *conn)  { go watchLoop(c, p.ready) }
func (p *goroutinePoller) remove(*conn) {}
func (p *goroutinePoller) close() error { return nil }
