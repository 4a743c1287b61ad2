-- name: UpsertAlertChannel :one
INSERT INTO alert_channels (name, url, secret, events, created_at, updated_at)
VALUES (sqlc.arg(name), sqlc.arg(url), sqlc.arg(secret), sqlc.arg(events), baton_now(), baton_now())
ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret, events = excluded.events,
    updated_at = excluded.updated_at
RETURNING *;

-- name: DeleteAlertChannel :execrows
DELETE FROM alert_channels WHERE name = sqlc.arg(name);

-- name: ListAlertChannels :many
SELECT * FROM alert_channels ORDER BY name;

-- name: InsertAlert :exec
INSERT INTO alert_outbox (alert_id, channel, kind, payload, next_at, created_at)
VALUES (sqlc.arg(alert_id), sqlc.arg(channel), sqlc.arg(kind), sqlc.arg(payload), baton_now(), baton_now());

-- name: DeleteAlert :exec
DELETE FROM alert_outbox WHERE id = sqlc.arg(id);

-- name: RetryAlert :exec
-- A delivery failed: try again after delay_ms, or give up (state failed).
UPDATE alert_outbox SET attempts = attempts + 1, last_error = sqlc.arg(last_error), state = sqlc.arg(state),
    next_at = baton_now() + CAST(sqlc.arg(delay_ms) AS BIGINT)
WHERE id = sqlc.arg(id);

-- name: ListAlerts :many
-- Alerts not delivered yet (pending or given up), oldest first.
SELECT * FROM alert_outbox ORDER BY id LIMIT CAST(sqlc.arg(lim) AS BIGINT);
