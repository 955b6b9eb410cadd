package httpipc

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"sync"
	"time"
)

// errExitedAfterReady: the app accepted connections, then exited (idle)
// before this caller connected; Dial starts it again.
var errExitedAfterReady = errors.New("httpipc: ipc service exited after it was ready")

// process is one started server app.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returned
	// Set before exited is closed, read after.
	exitErr error

	mu       sync.Mutex
	ready    bool
	timedOut bool
	watchdog *time.Timer
}

func startProcess(s *Service, out io.Writer) (*process, error) {
	cmd := exec.Command(s.Command[0], s.Command[1:]...)
	cmd.Env = append(cmd.Environ(), s.Env...)
	cmd.Env = append(cmd.Env, EnvService+"="+s.Name, EnvSocket+"="+s.Socket)
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	d := s.ReadyTimeout
	if d == 0 {
		d = DefaultReadyTimeout
	}
	p.mu.Lock()
	p.watchdog = time.AfterFunc(d, p.notReadyInTime)
	p.mu.Unlock()
	go func() {
		p.exitErr = cmd.Wait()
		if p.exitErr == nil {
			p.exitErr = errors.New("exit status 0")
		}
		p.mu.Lock()
		p.watchdog.Stop()
		p.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// notReadyInTime kills an app that did not accept within its ReadyTimeout,
// so that the next Dial starts a fresh one.
func (p *process) notReadyInTime() {
	p.mu.Lock()
	if p.ready {
		p.mu.Unlock()
		return
	}
	p.timedOut = true
	p.mu.Unlock()
	killProcess(p.cmd)
}

func (p *process) setReady() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready {
		p.ready = true
		p.watchdog.Stop()
	}
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// stop kills the app (its whole process group) and waits for it.
func (p *process) stop() {
	if !p.hasExited() {
		killProcess(p.cmd)
	}
	<-p.exited
}

// Polling bounds while an app starts: the socket appears when it calls
// listen, and nothing portable signals that.
const (
	readyPollMin = 2 * time.Millisecond
	readyPollMax = 50 * time.Millisecond
)

// ctxEnding reports whether ctx is done or its deadline has passed (a dial
// bounded by that deadline can fail with a timeout an instant before ctx
// reports it).
func ctxEnding(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// waitReady dials path until it accepts, the app exits, its watchdog
// kills it, or ctx is done.
func (p *process) waitReady(ctx context.Context, path string) (net.Conn, error) {
	wait := readyPollMin
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		c, err := dialUnix(ctx, path)
		if err == nil {
			return c, nil
		}
		if !notListening(err) && !ctxEnding(ctx) {
			return nil, &ServiceError{Err: err}
		}
		select {
		case <-ctx.Done():
			return nil, &ServiceError{Err: ErrServiceNotReady, Cause: ctx.Err()}
		case <-p.exited:
			p.mu.Lock()
			ready, timedOut := p.ready, p.timedOut
			p.mu.Unlock()
			switch {
			case timedOut:
				return nil, &ServiceError{Err: ErrServiceNotReady, Cause: errors.New("ReadyTimeout passed; app killed")}
			case ready:
				return nil, errExitedAfterReady
			}
			return nil, &ServiceError{Err: ErrServiceExited, Cause: p.exitErr}
		case <-t.C:
		}
		wait = min(2*wait, readyPollMax)
		t.Reset(wait)
	}
}
