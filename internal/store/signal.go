package store

import "sync"

// Signal is a broadcast: every channel handed out by C before a Fire is
// closed by that Fire. Drivers use it for Store.WorkSignal.
type Signal struct {
	mu    sync.Mutex
	ch    chan struct{}
	fired uint64
}

// C returns a channel closed by the next Fire.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Fire wakes everyone waiting on a channel from C.
func (s *Signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fired++
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Fired is how many times Fire was called.
func (s *Signal) Fired() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fired
}
