-- +goose Up
-- The resource centre: files and directory trees stored in the database,
-- content-addressed. A blob is a deterministic tar archive (package
-- resource), stored once however many versions hold it.
CREATE TABLE resource_blobs (
  sha256     TEXT PRIMARY KEY,
  size       BIGINT NOT NULL,
  content    BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

-- Immutable versions of a named resource: version n of name holds one
-- blob; kind is file or dir; size is the bytes of its files, files their
-- count.
CREATE TABLE resources (
  name       TEXT NOT NULL,
  version    BIGINT NOT NULL,
  sha256     TEXT NOT NULL REFERENCES resource_blobs (sha256),
  kind       TEXT NOT NULL,
  size       BIGINT NOT NULL,
  files      BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (name, version)
);

-- The versions a run uses, pinned when it starts (as it keeps its
-- workflow version); only runs whose tasks name resources have rows.
CREATE TABLE run_resources (
  run_id  BIGINT NOT NULL,
  name    TEXT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (run_id, name)
);

-- +goose Down
DROP TABLE run_resources;
DROP TABLE resources;
DROP TABLE resource_blobs;
