-- name: AcquireLeader :one
-- Takes the lease if it is free or expired, starting a new term; no row if
-- someone else holds it.
INSERT INTO leader_leases (name, holder, term, expires_at)
VALUES (sqlc.arg(name), sqlc.arg(holder), 1, baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT))
ON CONFLICT (name) DO UPDATE
SET holder = excluded.holder, term = leader_leases.term + 1, expires_at = excluded.expires_at
WHERE leader_leases.expires_at < baton_now()
RETURNING *;

-- name: RenewLeader :one
-- Extends the lease of this holder and term only; no row if it was lost.
UPDATE leader_leases SET expires_at = baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT)
WHERE name = sqlc.arg(name) AND holder = sqlc.arg(holder) AND term = sqlc.arg(term)
RETURNING *;

-- name: ResignLeader :exec
UPDATE leader_leases SET expires_at = 0
WHERE name = sqlc.arg(name) AND holder = sqlc.arg(holder) AND term = sqlc.arg(term);
