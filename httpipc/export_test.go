package httpipc

// ProcessExited returns a channel closed once the app the Registry last
// started for name has exited, or nil if it started none.
func ProcessExited(r *Registry, name string) <-chan struct{} {
	r.mu.Lock()
	s := r.svcs[name]
	r.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	return s.proc.exited
}
