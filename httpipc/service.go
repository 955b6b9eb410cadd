package httpipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultReadyTimeout is how long a started server app has to accept on
// its socket when Service.ReadyTimeout is zero.
const DefaultReadyTimeout = 10 * time.Second

// Environment variables a Registry sets for the server apps it starts, so
// one command line can serve any socket.
const (
	EnvService = "HTTPIPC_SERVICE" // the ipc-service name
	EnvSocket  = "HTTPIPC_SOCKET"  // the unix socket path to listen on
)

// Wake-up errors. A failed Dial returns a *ServiceError wrapping one of
// these (and the cause, such as the ctx error).
var (
	// ErrUnknownService: the name is not in the Registry. An ipc-service
	// from an OAuth redirect that is not registered is never dialed.
	ErrUnknownService = errors.New("httpipc: unknown ipc service")
	// ErrServiceNotRunning: nothing listens on the socket and the service
	// has no Command to start it.
	ErrServiceNotRunning = errors.New("httpipc: ipc service not running")
	// ErrServiceNotReady: the started app did not accept on its socket
	// within its ReadyTimeout (it is then killed) or before ctx ended.
	ErrServiceNotReady = errors.New("httpipc: ipc service did not become ready")
	// ErrServiceExited: the started app exited before it accepted.
	ErrServiceExited = errors.New("httpipc: ipc service exited before it was ready")
)

// ServiceError is a failure to reach a registered service.
type ServiceError struct {
	Service string
	Err     error // a sentinel above, or the dial error
	Cause   error // what ended the wait (ctx error, exit status), if any
}

func (e *ServiceError) Error() string {
	s := strings.TrimPrefix(e.Err.Error(), "httpipc: ")
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return fmt.Sprintf("httpipc: service %q: %s", e.Service, s)
}

// Unwrap lets errors.Is match both the sentinel and the cause (such as
// context.DeadlineExceeded).
func (e *ServiceError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// Service is one server app reachable over a unix socket, and how to
// start it when it is not running: the desktop and server stand-in for an
// Android bound service or an iOS XPC service, which the OS starts on the
// first bind.
type Service struct {
	// Name is the ipc-service name (the value an OAuth redirect carries).
	Name string `json:"name"`
	// Socket is the path of the unix socket the app listens on.
	Socket string `json:"socket"`
	// Command starts the app (argv; no shell). Empty: the service must
	// already be running. The app gets EnvService and EnvSocket on top of
	// this process's environment and Env.
	Command []string `json:"command,omitempty"`
	// Env are extra "KEY=value" variables for Command.
	Env []string `json:"env,omitempty"`
	// ReadyTimeout bounds how long the started app may take to accept on
	// Socket; zero means DefaultReadyTimeout. In JSON, a Go duration
	// string such as "5s".
	ReadyTimeout time.Duration `json:"-"`
}

// Registry maps ipc-service names to services, dials them, and starts a
// service's app on demand, once, however many callers dial at the same
// time. Its zero value is empty and ready to use; fields must not change
// after the first Dial.
type Registry struct {
	// Output receives the stdout and stderr of the apps it starts; nil
	// discards them.
	Output io.Writer
	// Options are the connection settings of the Transports it makes.
	Options Options

	mu     sync.Mutex
	svcs   map[string]*service
	closed bool
}

// service is a Service plus the app process this Registry started.
type service struct {
	Service
	mu   sync.Mutex
	proc *process // the latest started app, nil if none
}

// Add registers s; a name may be added once.
func (r *Registry) Add(s Service) error {
	if s.Name == "" || s.Socket == "" {
		return errors.New("httpipc: Registry.Add: a service needs a Name and a Socket")
	}
	if s.ReadyTimeout < 0 {
		return fmt.Errorf("httpipc: Registry.Add: service %q: negative ReadyTimeout", s.Name)
	}
	s.Command = append([]string(nil), s.Command...)
	s.Env = append([]string(nil), s.Env...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.svcs == nil {
		r.svcs = make(map[string]*service)
	}
	if _, dup := r.svcs[s.Name]; dup {
		return fmt.Errorf("httpipc: Registry.Add: duplicate service %q", s.Name)
	}
	r.svcs[s.Name] = &service{Service: s}
	return nil
}

// Lookup returns the service registered under name.
func (r *Registry) Lookup(name string) (Service, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.svcs[name]
	if !ok {
		return Service{}, false
	}
	return s.Service, true
}

// maxRegistryFile bounds a registry file.
const maxRegistryFile = 1 << 20

// LoadRegistry reads a registry file (see ParseRegistry).
func LoadRegistry(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseRegistry(f)
}

// ParseRegistry reads a JSON registry:
//
//	{"services": [
//	  {"name": "org.example.auth/.HttpIpcService",
//	   "socket": "/run/user/1000/auth.sock",
//	   "command": ["/usr/bin/auth-app", "--ipc"],
//	   "env": ["LOG=info"],
//	   "ready_timeout": "5s"}
//	]}
//
// Unknown fields are refused, so a misspelt field is not silently ignored.
func ParseRegistry(rd io.Reader) (*Registry, error) {
	var file struct {
		Services []struct {
			Service
			ReadyTimeout string `json:"ready_timeout,omitempty"`
		} `json:"services"`
	}
	dec := json.NewDecoder(io.LimitReader(rd, maxRegistryFile))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("httpipc: registry: %w", err)
	}
	r := &Registry{}
	for _, fs := range file.Services {
		s := fs.Service
		if fs.ReadyTimeout != "" {
			d, err := time.ParseDuration(fs.ReadyTimeout)
			if err != nil {
				return nil, fmt.Errorf("httpipc: registry: service %q: ready_timeout: %w", s.Name, err)
			}
			s.ReadyTimeout = d
		}
		if err := r.Add(s); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Transport returns a Transport to the named service: each connection it
// opens goes through Dial, so the app is started when needed, again after
// it exited while idle.
func (r *Registry) Transport(name string) (*Transport, error) {
	if _, ok := r.Lookup(name); !ok {
		return nil, &ServiceError{Service: name, Err: ErrUnknownService}
	}
	return &Transport{
		DialStream: func(ctx context.Context) (io.ReadWriteCloser, error) { return r.Dial(ctx, name) },
		Options:    r.Options,
	}, nil
}

// maxRestarts bounds how often one Dial starts the app again after it
// exited between becoming ready and accepting this caller (an app
// exiting on idle just as a request comes).
const maxRestarts = 3

// Dial connects to the named service. When nothing listens on its socket
// (no file, or connection refused) and the service has a Command, it
// starts the app, unless an app it started is still running, and
// waits until the socket accepts, the app exits, its ReadyTimeout passes
// or ctx is done. Errors are *ServiceError.
func (r *Registry) Dial(ctx context.Context, name string) (net.Conn, error) {
	r.mu.Lock()
	s, ok := r.svcs[name]
	closed := r.closed
	r.mu.Unlock()
	if !ok {
		return nil, &ServiceError{Service: name, Err: ErrUnknownService}
	}
	if closed {
		return nil, &ServiceError{Service: name, Err: ErrClosed}
	}
	for restarts := 0; ; restarts++ {
		c, err := dialUnix(ctx, s.Socket)
		if err == nil {
			s.markReady()
			return c, nil
		}
		if !notListening(err) || len(s.Command) == 0 {
			if ctxEnding(ctx) {
				<-ctx.Done()
				err = ctx.Err()
			}
			if notListening(err) {
				return nil, &ServiceError{Service: name, Err: ErrServiceNotRunning, Cause: err}
			}
			return nil, &ServiceError{Service: name, Err: err}
		}
		p, err := r.ensureStarted(s)
		if err != nil {
			return nil, &ServiceError{Service: name, Err: err}
		}
		c, err = p.waitReady(ctx, s.Socket)
		if err == nil {
			s.markReady()
			return c, nil
		}
		if errors.Is(err, errExitedAfterReady) && restarts < maxRestarts {
			continue
		}
		if errors.Is(err, errExitedAfterReady) {
			err = &ServiceError{Service: name, Err: ErrServiceExited, Cause: p.exitErr}
		}
		var se *ServiceError
		if errors.As(err, &se) {
			se.Service = name
		}
		return nil, err
	}
}

func dialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}

// notListening reports whether a dial failed because no app listens: no
// socket file, or a stale one.
func notListening(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// ensureStarted returns the running app of s, starting one if there is
// none.
func (r *Registry) ensureStarted(s *service) (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.hasExited() {
		return s.proc, nil
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	p, err := startProcess(&s.Service, r.Output)
	if err != nil {
		return nil, err
	}
	s.proc = p
	return p, nil
}

func (s *service) markReady() {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		p.setReady()
	}
}

// Close stops the apps this Registry started that are still running and
// waits for them to exit; later Dials fail with ErrClosed.
func (r *Registry) Close() error {
	r.mu.Lock()
	r.closed = true
	svcs := make([]*service, 0, len(r.svcs))
	for _, s := range r.svcs {
		svcs = append(svcs, s)
	}
	r.mu.Unlock()
	for _, s := range svcs {
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		if p != nil {
			p.stop()
		}
	}
	return nil
}
