package pgwire

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Password verifiers in PostgreSQL's formats, the strings
// pg_authid.rolpassword holds, so that a verifier copied from PostgreSQL
// works here and one made here works there.
//
// Passwords are used as their UTF-8 bytes. PostgreSQL runs SASLprep
// (RFC 4013) over a password before deriving a SCRAM verifier; for ASCII
// passwords that is the identity, so verifiers agree. Non-ASCII passwords
// that SASLprep would change (non-NFKC text, special spaces) yield a
// different verifier than PostgreSQL's.

const (
	// SCRAMIterations is the PBKDF2 iteration count of the SCRAM verifiers
	// this package makes (PostgreSQL's scram_iterations default).
	SCRAMIterations = 4096
	scramSaltLen    = 16
	scramKeyLen     = sha256.Size
	scramPrefix     = "SCRAM-SHA-256$"
	md5Prefix       = "md5"
	md5VerifierLen  = len(md5Prefix) + 2*md5.Size
	// maxSCRAMIterations bounds the iteration count of a parsed verifier,
	// so a mistyped one cannot make each login burn minutes of CPU.
	maxSCRAMIterations = 10_000_000
)

// MD5Verifier returns PostgreSQL's MD5 password verifier for user and
// password: "md5" followed by the hex MD5 of password concatenated with
// user.
func MD5Verifier(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return md5Prefix + hex.EncodeToString(sum[:])
}

// SCRAMVerifier returns a PostgreSQL SCRAM-SHA-256 verifier for password,
// "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>" (base64 fields),
// with a fresh random 16-byte salt.
func SCRAMVerifier(password string) (string, error) {
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	s, err := newSCRAMSecret(password, salt, SCRAMIterations)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// StoredVerifier returns what to store for a password given in SQL
// (CREATE / ALTER ROLE ... PASSWORD), as PostgreSQL does: the literal
// itself when it already is an MD5 or a well-formed SCRAM-SHA-256
// verifier (so verifiers can be copied from a PostgreSQL server),
// otherwise a new SCRAM-SHA-256 verifier of it. A malformed
// "SCRAM-SHA-256$..." string is a plaintext password to PostgreSQL too.
func StoredVerifier(password string) (string, error) {
	if isMD5Verifier(password) {
		return password, nil
	}
	if _, err := parseSCRAMVerifier(password); err == nil {
		return password, nil
	}
	return SCRAMVerifier(password)
}

// scramSecret is a parsed SCRAM-SHA-256 verifier.
type scramSecret struct {
	iterations int
	salt       []byte
	storedKey  [scramKeyLen]byte
	serverKey  [scramKeyLen]byte
}

// newSCRAMSecret derives the verifier of password (RFC 5802 section 3).
func newSCRAMSecret(password string, salt []byte, iterations int) (scramSecret, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, scramKeyLen)
	if err != nil {
		return scramSecret{}, fmt.Errorf("pgwire: deriving SCRAM key: %w", err)
	}
	s := scramSecret{iterations: iterations, salt: salt}
	s.storedKey = sha256.Sum256(hmacSHA256(salted, "Client Key"))
	copy(s.serverKey[:], hmacSHA256(salted, "Server Key"))
	return s, nil
}

// String formats s as PostgreSQL stores it.
func (s scramSecret) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return scramPrefix + strconv.Itoa(s.iterations) + ":" + b64(s.salt) + "$" +
		b64(s.storedKey[:]) + ":" + b64(s.serverKey[:])
}

// parseSCRAMVerifier parses "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>".
func parseSCRAMVerifier(v string) (scramSecret, error) {
	rest, ok := strings.CutPrefix(v, scramPrefix)
	if !ok {
		return scramSecret{}, errors.New("not a SCRAM-SHA-256 verifier")
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return scramSecret{}, errors.New("SCRAM verifier has no keys")
	}
	iterStr, saltStr, ok1 := strings.Cut(params, ":")
	storedStr, serverStr, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return scramSecret{}, errors.New("malformed SCRAM verifier")
	}
	var s scramSecret
	var err error
	if s.iterations, err = strconv.Atoi(iterStr); err != nil || s.iterations <= 0 || s.iterations > maxSCRAMIterations {
		return scramSecret{}, fmt.Errorf("SCRAM verifier has an invalid iteration count %q", iterStr)
	}
	if s.salt, err = base64.StdEncoding.DecodeString(saltStr); err != nil || len(s.salt) == 0 {
		return scramSecret{}, errors.New("SCRAM verifier has an invalid salt")
	}
	for _, k := range []struct {
		dst *[scramKeyLen]byte
		src string
	}{{&s.storedKey, storedStr}, {&s.serverKey, serverStr}} {
		b, err := base64.StdEncoding.DecodeString(k.src)
		if err != nil || len(b) != scramKeyLen {
			return scramSecret{}, errors.New("SCRAM verifier has an invalid key")
		}
		copy(k.dst[:], b)
	}
	return s, nil
}

// verifyPassword reports whether password derives s (for cleartext
// password authentication against a SCRAM verifier).
func (s scramSecret) verifyPassword(password string) bool {
	d, err := newSCRAMSecret(password, s.salt, s.iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(d.storedKey[:], s.storedKey[:]) == 1 &&
		subtle.ConstantTimeCompare(d.serverKey[:], s.serverKey[:]) == 1
}

// isMD5Verifier reports whether v has PostgreSQL's MD5 verifier form:
// "md5" and 32 lowercase hex digits.
func isMD5Verifier(v string) bool {
	if len(v) != md5VerifierLen || !strings.HasPrefix(v, md5Prefix) {
		return false
	}
	for _, r := range v[len(md5Prefix):] {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// md5Response returns what a client answers to an MD5 challenge with
// salt, given the user's MD5 verifier: "md5" and the hex MD5 of the
// verifier's digits followed by the salt.
func md5Response(verifier string, salt [4]byte) string {
	sum := md5.Sum(append([]byte(verifier[len(md5Prefix):]), salt[:]...))
	return md5Prefix + hex.EncodeToString(sum[:])
}

// hmacSHA256 returns HMAC-SHA-256(key, the concatenation of msgs).
func hmacSHA256(key []byte, msgs ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, m := range msgs {
		h.Write([]byte(m))
	}
	return h.Sum(nil)
}
