-- SQLite's own tables that queries read, declared for sqlc's type checks
-- only: never run (SQLite creates them itself).
CREATE TABLE sqlite_sequence (
  name TEXT NOT NULL,
  seq  BIGINT NOT NULL
);
