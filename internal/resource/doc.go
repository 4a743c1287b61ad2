// Package resource is the format of the resource centre's content: every
// version of a resource, a single file or a directory tree, is stored as
// one deterministic tar archive (entries sorted by path, no owners, no
// times, directories 0555, files 0444 or 0555 when any executable bit was
// set), so that the same content always has the same SHA-256 and is
// stored once. A file resource is an archive of one entry, FileEntry.
//
// Pack* check what is stored (relative paths only, no "..", no symlinks,
// hard links or devices, the size and file limits) and Unpack checks it
// again where it is materialised, on the worker.
package resource
