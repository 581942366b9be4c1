package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
)

// pgConfig builds the wire server's client-facing configuration (TLS,
// authentication and connection limits) from the flags. The executor,
// logger and server version are filled in by the caller.
func (f serverFlags) pgConfig(log *slog.Logger) (pgwire.Config, error) {
	cfg, _, err := f.pgSetup(log)
	return cfg, err
}

// pgSetup is pgConfig that also returns the login lookup its
// authenticator uses, nil with --auth trust. The caller gives the
// lookup's users file to the engine (engine.Options.Roles) and attaches
// the engine to it (loginUsers.attach) before the server starts.
func (f serverFlags) pgSetup(log *slog.Logger) (pgwire.Config, *loginUsers, error) {
	var cfg pgwire.Config
	if f.maxConns < 0 {
		return cfg, nil, errors.New("--max-connections must not be negative")
	}
	if f.idleSessionTimeout < 0 {
		return cfg, nil, errors.New("--idle-session-timeout must not be negative")
	}
	cfg.MaxConns = f.maxConns
	cfg.IdleTimeout = f.idleSessionTimeout

	switch {
	case f.tlsCert != "" && f.tlsKey != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return cfg, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case f.tlsCert != "" || f.tlsKey != "":
		return cfg, nil, errors.New("--tls-cert and --tls-key go together")
	case f.requireTLS:
		return cfg, nil, errors.New("--require-tls needs --tls-cert and --tls-key")
	}
	cfg.RequireTLS = f.requireTLS

	method := pgwire.AuthTrust
	if f.auth != "" {
		m, err := pgwire.ParseAuthMethod(f.auth)
		if err != nil {
			return cfg, nil, fmt.Errorf("--auth: %w", err)
		}
		method = m
	}
	var logins *loginUsers
	switch {
	case method == pgwire.AuthTrust && f.usersFile != "":
		return cfg, nil, errors.New("--users-file has no effect with --auth trust; choose --auth password, md5 or scram-sha-256")
	case method != pgwire.AuthTrust && f.usersFile == "":
		return cfg, nil, fmt.Errorf("--auth %s needs --users-file", method)
	case f.usersFile != "":
		u, err := loadUsersFile(f.usersFile, log)
		if err != nil {
			return cfg, nil, err
		}
		logins = &loginUsers{file: u}
	}
	if method == pgwire.AuthPassword && !f.requireTLS {
		log.Warn("--auth password sends passwords in clear text; use it with --require-tls")
	}
	var users pgwire.Users
	if logins != nil {
		users = logins
	}
	auth, err := pgwire.NewAuthenticator(method, users)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Authenticator = auth
	return cfg, logins, nil
}

// loadUsersFile reads a users file (see parseUsers).
func loadUsersFile(path string, log *slog.Logger) (*usersFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--users-file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("users file is readable by other users; chmod 600 it", "file", path, "mode", st.Mode().Perm())
	}
	users, err := parseUsers(data)
	if err != nil {
		return nil, fmt.Errorf("--users-file %s: %w", path, err)
	}
	return users, nil
}

// usersFile is the users a users file defines. It is read-only after
// parsing, so safe for concurrent use.
type usersFile struct {
	creds pgwire.StaticUsers
	// super holds the users marked superuser.
	super map[string]bool
}

var (
	_ pgwire.Users           = (*usersFile)(nil)
	_ engine.ConfiguredRoles = (*usersFile)(nil)
)

// Lookup implements pgwire.Users.
func (u *usersFile) Lookup(user string) (pgwire.Credential, bool) { return u.creds.Lookup(user) }

// ConfiguredRole implements engine.ConfiguredRoles.
func (u *usersFile) ConfiguredRole(name string) (defined, superuser bool) {
	_, defined = u.creds[name]
	return defined, u.super[name]
}

// ConfiguredRoleNames implements engine.ConfiguredRoles.
func (u *usersFile) ConfiguredRoleNames() []string {
	return slices.Sorted(maps.Keys(u.creds))
}

// parseUsers parses the contents of a users file: one "user:secret" per
// line, where secret is a password or a PostgreSQL verifier (see
// pgwire.ParseCredential) and runs to the end of the line; the user
// name may be followed by the word superuser ("admin superuser:secret"),
// which lets that user create, alter and drop roles in SQL. Blank lines
// and lines starting with # are skipped.
func parseUsers(data []byte) (*usersFile, error) {
	users := &usersFile{creds: pgwire.StaticUsers{}, super: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		head, secret, ok := strings.Cut(line, ":")
		fields := strings.Fields(head)
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: want user:password", n)
		case len(fields) == 0:
			return nil, fmt.Errorf("line %d: empty user name", n)
		case secret == "":
			return nil, fmt.Errorf("line %d: empty password for user %q", n, fields[0])
		}
		user := fields[0]
		for _, attr := range fields[1:] {
			if !strings.EqualFold(attr, "superuser") {
				return nil, fmt.Errorf("line %d: unknown attribute %q for user %q (want superuser)", n, attr, user)
			}
			users.super[user] = true
		}
		if _, dup := users.creds[user]; dup {
			return nil, fmt.Errorf("line %d: user %q appears twice", n, user)
		}
		users.creds[user] = pgwire.ParseCredential(secret)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(users.creds) == 0 {
		return nil, errors.New("no users")
	}
	return users, nil
}

// sqlRoles is what logins need from the engine: the verifiers of the
// roles created with CREATE USER / CREATE ROLE ... LOGIN PASSWORD.
type sqlRoles interface {
	LoginVerifier(name string) (string, bool)
}

// loginUsers is the server's login lookup: the users file first, then
// the roles created in SQL. The file wins, and SQL cannot create a role
// the file defines, so a file user's password can only be changed by
// editing the file. It is safe for concurrent use.
type loginUsers struct {
	file *usersFile
	// sql is set by attach before the server accepts connections.
	sql sqlRoles
}

var _ pgwire.Users = (*loginUsers)(nil)

// attach makes the roles created in SQL on r usable for logins.
func (l *loginUsers) attach(r sqlRoles) { l.sql = r }

// Lookup implements pgwire.Users.
func (l *loginUsers) Lookup(user string) (pgwire.Credential, bool) {
	if c, ok := l.file.Lookup(user); ok {
		return c, true
	}
	if l.sql != nil {
		if v, ok := l.sql.LoginVerifier(user); ok {
			return pgwire.Credential{Verifier: v}, true
		}
	}
	return pgwire.Credential{}, false
}

// configured returns the users file as the engine's configured roles,
// or nil (authentication off) for a nil l.
func (l *loginUsers) configured() engine.ConfiguredRoles {
	if l == nil {
		return nil
	}
	return l.file
}
