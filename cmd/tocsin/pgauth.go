package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/tocsin-db/tocsin/pgwire"
)

// pgConfig builds the wire server's client-facing configuration (TLS,
// authentication and connection limits) from the flags. The executor,
// logger and server version are filled in by the caller.
func (f serverFlags) pgConfig(log *slog.Logger) (pgwire.Config, error) {
	var cfg pgwire.Config
	if f.maxConns < 0 {
		return cfg, errors.New("--max-connections must not be negative")
	}
	if f.idleSessionTimeout < 0 {
		return cfg, errors.New("--idle-session-timeout must not be negative")
	}
	cfg.MaxConns = f.maxConns
	cfg.IdleTimeout = f.idleSessionTimeout

	switch {
	case f.tlsCert != "" && f.tlsKey != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return cfg, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case f.tlsCert != "" || f.tlsKey != "":
		return cfg, errors.New("--tls-cert and --tls-key go together")
	case f.requireTLS:
		return cfg, errors.New("--require-tls needs --tls-cert and --tls-key")
	}
	cfg.RequireTLS = f.requireTLS

	method := pgwire.AuthTrust
	if f.auth != "" {
		m, err := pgwire.ParseAuthMethod(f.auth)
		if err != nil {
			return cfg, fmt.Errorf("--auth: %w", err)
		}
		method = m
	}
	var users pgwire.Users
	switch {
	case method == pgwire.AuthTrust && f.usersFile != "":
		return cfg, errors.New("--users-file has no effect with --auth trust; choose --auth password, md5 or scram-sha-256")
	case method != pgwire.AuthTrust && f.usersFile == "":
		return cfg, fmt.Errorf("--auth %s needs --users-file", method)
	case f.usersFile != "":
		u, err := loadUsersFile(f.usersFile, log)
		if err != nil {
			return cfg, err
		}
		users = u
	}
	if method == pgwire.AuthPassword && !f.requireTLS {
		log.Warn("--auth password sends passwords in clear text; use it with --require-tls")
	}
	auth, err := pgwire.NewAuthenticator(method, users)
	if err != nil {
		return cfg, err
	}
	cfg.Authenticator = auth
	return cfg, nil
}

// loadUsersFile reads a users file: one "user:secret" per line, where
// secret is a password or a PostgreSQL verifier (see
// pgwire.ParseCredential) and runs to the end of the line; blank lines
// and lines starting with # are skipped.
func loadUsersFile(path string, log *slog.Logger) (pgwire.StaticUsers, error) {
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

// parseUsers parses the contents of a users file.
func parseUsers(data []byte) (pgwire.StaticUsers, error) {
	users := pgwire.StaticUsers{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		user, secret, ok := strings.Cut(line, ":")
		user = strings.TrimSpace(user)
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: want user:password", n)
		case user == "":
			return nil, fmt.Errorf("line %d: empty user name", n)
		case secret == "":
			return nil, fmt.Errorf("line %d: empty password for user %q", n, user)
		}
		if _, dup := users[user]; dup {
			return nil, fmt.Errorf("line %d: user %q appears twice", n, user)
		}
		users[user] = pgwire.ParseCredential(secret)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errors.New("no users")
	}
	return users, nil
}
