package client

import (
	"context"
	"io"
	"net/http"
)

// Backup streams a consistent snapshot of the server's embedded (SQLite)
// store to w. A server on PostgreSQL refuses it (409): back that up with
// pg_dump or WAL archiving.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	return c.do(ctx, http.MethodPost, "/api/v1/backup", nil, nil, w)
}
