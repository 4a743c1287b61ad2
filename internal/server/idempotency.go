package server

import (
	"fmt"

	"github.com/danielgtaylor/huma/v2"
)

// maxIdempotencyKey bounds the Idempotency-Key header of a run start or a
// webhook call.
const maxIdempotencyKey = 255

// checkIdempotencyKey refuses an Idempotency-Key header that is longer
// than maxIdempotencyKey bytes or holds anything but printable ASCII
// (422, naming the header).
func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKey {
		return huma.Error422UnprocessableEntity(fmt.Sprintf("Idempotency-Key: at most %d bytes, got %d", maxIdempotencyKey, len(key)))
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return huma.Error422UnprocessableEntity(fmt.Sprintf("Idempotency-Key: printable ASCII only, byte %d is 0x%02x", i, c))
		}
	}
	return nil
}
