//go:build linux

package simplepush

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// epoller parks idle sockets in one epoll set, EPOLLONESHOT: a readiness
// event hands the connection to a fresh goroutine, which reads every
// buffered message and re-arms. The Go runtime's own netpoller still
// owns the descriptor for the reads and writes themselves.
type epoller struct {
	epfd  int
	evfd  int // eventfd that wakes the loop at close
	ready func(*conn, []byte) bool

	mu     sync.Mutex
	nextID uint64
	conns  map[uint64]*conn
	done   chan struct{}
}

const epollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func newPoller(ready func(*conn, []byte) bool) (poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN} // id 0: the eventfd
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	p := &epoller{epfd: epfd, evfd: evfd, ready: ready, nextID: 1, conns: map[uint64]*conn{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

func event(id uint64, events uint32) unix.EpollEvent {
	return unix.EpollEvent{Events: events, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
}

func (p *epoller) add(c *conn) {
	if c.rc == nil {
		go watchLoop(c, p.ready)
		return
	}
	p.mu.Lock()
	c.id = p.nextID
	p.nextID++
	p.conns[c.id] = c
	p.mu.Unlock()
	if !p.ctl(c, unix.EPOLL_CTL_ADD) {
		p.forget(c)
		go watchLoop(c, p.ready)
	}
}

// ctl runs one epoll_ctl for c inside RawConn.Control, so the descriptor
// cannot be closed (and reused) meanwhile.
func (p *epoller) ctl(c *conn, op int) bool {
	var err error
	cerr := c.rc.Control(func(fd uintptr) {
		ev := event(c.id, epollEvents)
		err = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	return cerr == nil && err == nil
}

func (p *epoller) forget(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.conns[c.id]
	delete(p.conns, c.id)
	return ok
}

func (p *epoller) remove(c *conn) {
	if c.rc == nil || !p.forget(c) {
		return
	}
	_ = c.rc.Control(func(fd uintptr) {
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
}

func (p *epoller) dispatch(c *conn) {
	if !p.ready(c, nil) {
		return
	}
	p.mu.Lock()
	_, ok := p.conns[c.id]
	p.mu.Unlock()
	if ok && !p.ctl(c, unix.EPOLL_CTL_MOD) {
		c.closeNow()
	}
}

func (p *epoller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				return // closed
			}
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c != nil {
				go p.dispatch(c)
			}
		}
	}
}

func (p *epoller) close() error {
	var one = [8]byte{1}
	_, _ = unix.Write(p.evfd, one[:])
	<-p.done
	unix.Close(p.evfd)
	return unix.Close(p.epfd)
}
