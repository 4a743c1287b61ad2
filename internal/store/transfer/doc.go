// Package transfer moves a Baton store from the embedded SQLite database
// to PostgreSQL (baton migrate-store), for a single node that becomes a
// cluster.
//
// Nothing in it knows Baton's tables: the table list comes from the
// SQLite schema, the columns and their types from both, so a table a
// later migration adds is copied without a change here. The steps:
//
//	lock the SQLite file (sqlite.Lock: refused while a server holds it)
//	  → check the source's migrations are exactly this binary's
//	  → check the target has no schema, or this binary's
//	  → migrate the target; learn the rows migrations write (seeds) in a scratch schema
//	  → one PostgreSQL transaction:
//	      lock every table; refuse rows other than the seeds; delete the seeds
//	      COPY every table in primary-key order, parents before children,
//	        values converted to the target column's type, hashing the source rows
//	      read every table back in the same order, hashing it
//	      counts and checksums equal → move the sequences past the copied ids → commit
//	      otherwise → roll back: the target is left as it was
//
// The checksum of a table is SHA-256 over its rows rendered canonically
// (numbers by value, text and bytes by content, booleans as 0 and 1) in
// primary-key order, text ordered bytewise on both sides (COLLATE "C").
// Each side is rendered from the values its own driver returns, not from
// the converted ones, so a wrong conversion shows as a mismatch.
package transfer
