package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listen holds a dedicated connection LISTENing on the work channel and
// fires the local signal for every notification of another store, so a
// commit on any server wakes the claims waiting here. This store's own
// commits fired the signal as they committed: woken twice, every claim
// that found nothing would run again for nothing. It reconnects with
// backoff; after a reconnect it fires once, since notifications may have
// been missed.
func (s *Store) listen(ctx context.Context) {
	defer s.wg.Done()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("work notifications interrupted", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy()) // with the pool's keepalives and timeouts
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+workChannel); err != nil {
		return err
	}
	s.signal.Fire()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == s.id {
			s.echoes.Add(1)
			continue
		}
		s.signal.Fire()
	}
}
