package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// read runs API reads and maps their errors to problem documents.
func (s *Server) read(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := s.engine.Store().Read(ctx, fn); err != nil {
		return s.apiError(ctx, err)
	}
	return nil
}

// notFound names what a read did not find.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), engine.ErrNotFound)
	}
	return err
}
