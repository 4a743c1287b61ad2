package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Bounds of a password: long enough to resist guessing at the hash's
// cost, short enough that hashing it costs nothing extra.
const (
	MinPasswordLen = 12   // characters
	MaxPasswordLen = 1024 // bytes
)

// PasswordParams are the argon2id parameters of new password hashes
// (RFC 9106; OWASP's recommended minimum for argon2id): 19 MiB of memory,
// 2 passes, 1 lane, a 16-byte random salt and a 32-byte key. A stored
// hash carries its own parameters, so raising them later keeps old hashes
// valid.
var PasswordParams = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Argon2Params are the cost parameters of an argon2id hash. Memory is in
// KiB.
type Argon2Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// ErrPasswordHash is returned for a stored hash Baton cannot read.
var ErrPasswordHash = errors.New("malformed password hash")

// CheckPassword checks a new password's length.
func CheckPassword(pw string) error {
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("password must have at most %d bytes, got %d", MaxPasswordLen, len(pw))
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen {
		return fmt.Errorf("password must have at least %d characters, got %d", MinPasswordLen, n)
	}
	return nil
}

// hashing bounds the password hashes computed at once, so that a burst of
// logins costs at most this many times PasswordParams.Memory.
var hashing = make(chan struct{}, 4)

// HashPassword returns the PHC string of pw with PasswordParams:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$KEY (unpadded standard base64).
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	p := PasswordParams
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	return encodePHC(p, salt, derive(pw, salt, p)), nil
}

// VerifyPassword reports whether pw matches the PHC string phc, comparing
// in constant time. A password longer than MaxPasswordLen never matches.
func VerifyPassword(pw, phc string) (bool, error) {
	p, salt, key, err := decodePHC(phc)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		pw = "" // hash something anyway: the answer takes the usual time
	}
	ok := subtle.ConstantTimeCompare(derive(pw, salt, p), key) == 1
	return ok && pw != "", nil
}

var dummy = sync.OnceValue(func() string {
	h, _ := HashPassword("no user has this password, it is never compared")
	return h
})

// VerifyNoUser costs what VerifyPassword costs and never matches: a login
// for a user that does not exist takes as long as one with a wrong
// password.
func VerifyNoUser(pw string) {
	_, _ = VerifyPassword(pw, dummy())
}

func derive(pw string, salt []byte, p Argon2Params) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

var b64 = base64.RawStdEncoding

func encodePHC(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC reads a PHC argon2id string, refusing parameters outside
// sane bounds (at most 1 GiB and 16 passes), so that a tampered row
// cannot make a login exhaust the server.
func decodePHC(phc string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: want $argon2id$v=..$m=..,t=..,p=..$salt$key", ErrPasswordHash)
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: version %q", ErrPasswordHash, parts[2])
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: parameters %q", ErrPasswordHash, parts[3])
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: salt or key", ErrPasswordHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// CheckUserName checks a user name: 1-64 letters, digits, '-', '_', '.'
// or '@'.
func CheckUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("user name must have 1 to 64 characters, got %d", len(name))
	}
	for _, c := range name {
		if !alnumOr(c, "-_.@") {
			return fmt.Errorf("user name %q: only letters, digits, '-', '_', '.' and '@' are allowed", name)
		}
	}
	return nil
}
