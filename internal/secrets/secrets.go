// Package secrets encrypts the values of Baton's secrets with AES-256-GCM
// under a key ring: the current key encrypts, every key of the ring
// decrypts, and each value records the id of the key that encrypted it,
// so keys can be rotated without a flag day:
//
//  1. add the new key to every server's ring as an older key (second line
//     of secret_key_file), restart them;
//  2. make it the current key (first line) on every server, restart them;
//  3. `baton secret rotate` re-encrypts every value under the current key
//     (`baton secrets` shows each value's key id);
//  4. remove the old key from the rings.
//
// A key is 32 random bytes written in base64 (`baton secret keygen`). The
// name of a secret is bound to its ciphertext as additional data: a value
// copied to another name does not decrypt.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// ErrNoKey: the ring has no key of that id (it was removed, or this
// server's ring lacks it).
var ErrNoKey = errors.New("no such secret key in this server's key ring")

// Sealed is an encrypted value as stored.
type Sealed struct {
	KeyID      string
	Nonce      string // base64
	Ciphertext string // base64, with the GCM tag
}

// KeyRing holds the current key and older ones. Its methods are safe for
// concurrent use; it never changes once made.
type KeyRing struct {
	current string
	keys    map[string]cipher.AEAD
}

// NewKeyRing makes a ring of keys (raw, KeySize bytes each): the first is
// the current one.
func NewKeyRing(keys ...[]byte) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret keys: none given")
	}
	r := &KeyRing{keys: map[string]cipher.AEAD{}}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("secret key %d: %d bytes, want %d", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		id := KeyID(k)
		if i == 0 {
			r.current = id
		}
		r.keys[id] = aead
	}
	return r, nil
}

// ParseKeys reads a ring from text: base64 keys separated by newlines,
// commas or spaces, the current one first; lines starting with # are
// comments.
func ParseKeys(text string) (*KeyRing, error) {
	var keys [][]byte
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			k, err := base64.StdEncoding.DecodeString(f)
			if err != nil {
				return nil, fmt.Errorf("secret key %d: not base64", len(keys)+1)
			}
			keys = append(keys, k)
		}
	}
	return NewKeyRing(keys...)
}

// Load reads the ring from the file at path (when not empty), else from
// the value of the environment variable BATON_SECRET_KEY; nil, nil when
// neither is set. A key file readable by others than its owner is refused.
func Load(path string) (*KeyRing, error) {
	if path != "" {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("secret_key_file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("secret_key_file %s: mode %v lets others read it; chmod 600 it", path, fi.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("secret_key_file: %w", err)
		}
		r, err := ParseKeys(string(data))
		if err != nil {
			return nil, fmt.Errorf("secret_key_file %s: %w", path, err)
		}
		return r, nil
	}
	if v := os.Getenv("BATON_SECRET_KEY"); v != "" {
		r, err := ParseKeys(v)
		if err != nil {
			return nil, fmt.Errorf("BATON_SECRET_KEY: %w", err)
		}
		return r, nil
	}
	return nil, nil
}

// NewKey returns a new random key in base64, as key files hold it.
func NewKey() string {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// KeyID names a key without revealing it: the first 8 bytes of the
// SHA-256 of "baton-secret-key:" and the key, in hex.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("baton-secret-key:"), key...))
	return hex.EncodeToString(sum[:8])
}

// Current is the id of the key that encrypts.
func (r *KeyRing) Current() string { return r.current }

// Seal encrypts value, bound to name, under the current key.
func (r *KeyRing) Seal(name, value string) (Sealed, error) {
	aead := r.keys[r.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("seal secret %s: %w", name, err)
	}
	ct := aead.Seal(nil, nonce, []byte(value), []byte(name))
	return Sealed{KeyID: r.current, Nonce: base64.StdEncoding.EncodeToString(nonce),
		Ciphertext: base64.StdEncoding.EncodeToString(ct)}, nil
}

// Open decrypts the value of the secret name.
func (r *KeyRing) Open(name string, s Sealed) (string, error) {
	aead, ok := r.keys[s.KeyID]
	if !ok {
		return "", fmt.Errorf("secret %s: key %s: %w", name, s.KeyID, ErrNoKey)
	}
	nonce, err1 := base64.StdEncoding.DecodeString(s.Nonce)
	ct, err2 := base64.StdEncoding.DecodeString(s.Ciphertext)
	if err := errors.Join(err1, err2); err != nil || len(nonce) != aead.NonceSize() {
		return "", fmt.Errorf("secret %s: stored value is malformed", name)
	}
	pt, err := aead.Open(nil, nonce, ct, []byte(name))
	if err != nil {
		return "", fmt.Errorf("secret %s: does not decrypt with key %s (tampered, or stored under another name)", name, s.KeyID)
	}
	return string(pt), nil
}
