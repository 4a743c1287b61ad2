package postgres

// Wakeups is how many times the store fired its work signal; Echoes how
// many of its own notifications its listener heard back and skipped.
func (s *Store) Wakeups() uint64 { return s.signal.Fired() }
func (s *Store) Echoes() uint64  { return s.echoes.Load() }
