//go:build linux

package simplepush

import (
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// epoller parks idle sockets in one epoll set, EPOLLONESHOT: a readiness
// event hands the connection to a fresh goroutine, which reads every
// buffered message and re-arms. The Go runtime's own netpoller still
// owns the descriptor for the reads and writes themselves.
//
// The loop goroutine waits for the epoll set in the runtime's netpoller
// too (an epoll descriptor is readable while it has events), not in a
// blocking epoll_wait that holds an OS thread: an ack that wakes a socket
// is then picked up by the scheduler like any network read, without a
// thread handoff per wake, which on a busy machine cost more than the
// epoll_wait itself.
type epoller struct {
	epfd  int
	file  *os.File        // epfd, in the runtime's poller; nil: a blocking wait
	rc    syscall.RawConn // of file
	evfd  int             // eventfd that wakes the loop at close
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
	if unix.SetNonblock(epfd, true) == nil {
		f := os.NewFile(uintptr(epfd), "simplepush-epoll")
		// A deadline is refused unless the runtime poller took the file.
		if rc, err := f.SyscallConn(); err == nil && f.SetReadDeadline(time.Time{}) == nil {
			p.file, p.rc = f, rc
		}
	}
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
		n, err := p.wait(events)
		if err != nil {
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

// wait returns the next events: from the runtime's poller when it took
// the epoll descriptor, else from a blocking epoll_wait.
func (p *epoller) wait(events []unix.EpollEvent) (int, error) {
	if p.file == nil {
		for {
			n, err := unix.EpollWait(p.epfd, events, -1)
			if err != syscall.EINTR {
				return n, err
			}
		}
	}
	var (
		n    int
		werr error
	)
	err := p.rc.Read(func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), events, 0)
		if werr == syscall.EINTR {
			n, werr = 0, nil
		}
		return n > 0 || werr != nil // false: wait until readable
	})
	if err != nil {
		return 0, err
	}
	return n, werr
}

func (p *epoller) close() error {
	var one = [8]byte{1}
	_, _ = unix.Write(p.evfd, one[:])
	<-p.done
	unix.Close(p.evfd)
	if p.file != nil {
		return p.file.Close()
	}
	return unix.Close(p.epfd)
}
