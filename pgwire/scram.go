package pgwire

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// The SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) as PostgreSQL runs it
// over SASL (https://www.postgresql.org/docs/current/sasl-authentication.html):
//
//	S: AuthenticationSASL          mechanisms: SCRAM-SHA-256
//	C: SASLInitialResponse         gs2-header client-first-message-bare
//	                               ("n,,n=,r=<client nonce>")
//	S: AuthenticationSASLContinue  server-first-message
//	                               ("r=<client+server nonce>,s=<salt>,i=4096")
//	C: SASLResponse                client-final-message
//	                               ("c=biws,r=<nonce>,p=<ClientProof>")
//	S: AuthenticationSASLFinal     server-final-message ("v=<ServerSignature>")
//
// Channel binding (SCRAM-SHA-256-PLUS) is not offered, so a client may
// send the gs2 flag 'n' or 'y' but not 'p'. As in PostgreSQL, the user
// name in client-first-message is ignored (the startup packet's counts),
// an authorization identity is refused, and a failed proof ends the
// exchange with 28P01 rather than a server-final "e=" attribute.

const (
	scramMechanism = "SCRAM-SHA-256"
	// scramNonceLen is the number of random bytes in the server's nonce
	// (PostgreSQL's SCRAM_RAW_NONCE_LEN).
	scramNonceLen = 18
)

// scram runs the SCRAM-SHA-256 exchange for req.User against cred. A
// user without a SCRAM verifier (unknown, MD5 verifier only) goes
// through the same exchange with a derived salt and then fails.
func (a *PasswordAuth) scram(req AuthRequest, ex AuthExchange, cred Credential) error {
	secret, ok := cred.scramSecret()
	doomed := !ok
	if !ok {
		secret = scramSecret{iterations: SCRAMIterations, salt: a.derivedSalt(req.User)}
		if cred.Password != "" {
			s, err := a.plaintextSecret(req.User, cred.Password)
			if err != nil {
				return err
			}
			secret, doomed = s, false
		}
	}

	if err := ex.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}}); err != nil {
		return err
	}
	msg, err := receiveAuth(ex)
	if err != nil {
		return err
	}
	initial, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return sqlerr.New(sqlerr.ProtocolViolation, "expected SASL response, got %s message", messageName(msg))
	}
	if initial.AuthMechanism != scramMechanism {
		return sqlerr.New(sqlerr.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	first, err := parseClientFirst(string(initial.Data))
	if err != nil {
		return err
	}

	raw := make([]byte, scramNonceLen)
	if _, err := io.ReadFull(a.random, raw); err != nil {
		return err
	}
	nonce := first.nonce + base64.StdEncoding.EncodeToString(raw)
	serverFirst := "r=" + nonce + ",s=" + base64.StdEncoding.EncodeToString(secret.salt) +
		",i=" + strconv.Itoa(secret.iterations)
	if err := ex.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}); err != nil {
		return err
	}
	msg, err = receiveAuth(ex)
	if err != nil {
		return err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return sqlerr.New(sqlerr.ProtocolViolation, "expected SASL response, got %s message", messageName(msg))
	}
	final, err := parseClientFinal(string(resp.Data))
	if err != nil {
		return err
	}
	if final.channelBinding != first.gs2Header {
		return sqlerr.New(sqlerr.ProtocolViolation, "SCRAM channel binding check failed")
	}
	if final.nonce != nonce {
		return malformedSCRAM("Nonce does not match.")
	}

	authMessage := first.bare + "," + serverFirst + "," + final.withoutProof
	if doomed || !secret.verifyProof(final.proof, authMessage) {
		return authFailed(req.User)
	}
	sig := hmacSHA256(secret.serverKey[:], authMessage)
	return ex.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(sig))})
}

// verifyProof checks a client proof: ClientKey = proof XOR
// HMAC(StoredKey, AuthMessage) must hash to StoredKey.
func (s scramSecret) verifyProof(proof []byte, authMessage string) bool {
	if len(proof) != scramKeyLen {
		return false
	}
	sig := hmacSHA256(s.storedKey[:], authMessage)
	var clientKey [scramKeyLen]byte
	for i := range clientKey {
		clientKey[i] = proof[i] ^ sig[i]
	}
	h := sha256.Sum256(clientKey[:])
	return subtle.ConstantTimeCompare(h[:], s.storedKey[:]) == 1
}

// clientFirst is a parsed client-first-message.
type clientFirst struct {
	// gs2Header is "n,," or "y,,", which the client must echo in c=.
	gs2Header string
	// bare is client-first-message-bare, part of AuthMessage.
	bare  string
	nonce string
}

// parseClientFirst parses gs2-header client-first-message-bare:
//
//	("n" / "y") "," [ "a=" authzid ] "," [ "m=" ext "," ] "n=" user "," "r=" nonce [ "," extensions ]
func parseClientFirst(s string) (clientFirst, error) {
	var rest string
	switch {
	case strings.HasPrefix(s, "n,"), strings.HasPrefix(s, "y,"):
		rest = s[2:]
	case strings.HasPrefix(s, "p="):
		return clientFirst{}, malformedSCRAM("The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.")
	default:
		return clientFirst{}, malformedSCRAM("Unexpected channel-binding flag.")
	}
	if strings.HasPrefix(rest, "a=") {
		return clientFirst{}, sqlerr.New(sqlerr.FeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	if !strings.HasPrefix(rest, ",") {
		return clientFirst{}, malformedSCRAM("Unexpected attribute in client-first-message.")
	}
	cf := clientFirst{gs2Header: s[:3], bare: rest[1:]}
	attrs := strings.Split(cf.bare, ",")
	if strings.HasPrefix(attrs[0], "m=") {
		return clientFirst{}, sqlerr.New(sqlerr.FeatureNotSupported, "client requires an unsupported SCRAM extension")
	}
	if !strings.HasPrefix(attrs[0], "n=") {
		return clientFirst{}, malformedSCRAM("Expected attribute \"n\" in client-first-message.")
	}
	if len(attrs) < 2 || !strings.HasPrefix(attrs[1], "r=") {
		return clientFirst{}, malformedSCRAM("Expected attribute \"r\" in client-first-message.")
	}
	cf.nonce = attrs[1][2:]
	if !isSCRAMNonce(cf.nonce) {
		return clientFirst{}, malformedSCRAM("Client nonce is empty or not printable.")
	}
	return cf, nil
}

// isSCRAMNonce reports whether n is a non-empty run of printable ASCII
// characters other than ',' (RFC 5802's "printable").
func isSCRAMNonce(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// clientFinal is a parsed client-final-message.
type clientFinal struct {
	// channelBinding is the decoded c= attribute.
	channelBinding string
	nonce          string
	proof          []byte
	// withoutProof is the message up to ",p=", part of AuthMessage.
	withoutProof string
}

// parseClientFinal parses "c=" cbind "," "r=" nonce [ "," extensions ] "," "p=" proof.
func parseClientFinal(s string) (clientFinal, error) {
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return clientFinal{}, malformedSCRAM("Expected attribute \"p\" in client-final-message.")
	}
	cf := clientFinal{withoutProof: s[:i]}
	attrs := strings.Split(cf.withoutProof, ",")
	if !strings.HasPrefix(attrs[0], "c=") {
		return clientFinal{}, malformedSCRAM("Expected attribute \"c\" in client-final-message.")
	}
	cbind, err := base64.StdEncoding.DecodeString(attrs[0][2:])
	if err != nil {
		return clientFinal{}, malformedSCRAM("Invalid channel binding data.")
	}
	cf.channelBinding = string(cbind)
	if len(attrs) < 2 || !strings.HasPrefix(attrs[1], "r=") {
		return clientFinal{}, malformedSCRAM("Expected attribute \"r\" in client-final-message.")
	}
	cf.nonce = attrs[1][2:]
	if cf.proof, err = base64.StdEncoding.DecodeString(s[i+3:]); err != nil || len(cf.proof) != scramKeyLen {
		return clientFinal{}, malformedSCRAM("Malformed proof in client-final-message.")
	}
	return cf, nil
}

// malformedSCRAM is PostgreSQL's error for a SCRAM message that does not
// parse.
func malformedSCRAM(detail string) error {
	return sqlerr.New(sqlerr.ProtocolViolation, "malformed SCRAM message").WithDetail("%s", detail)
}
