package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Options configure an Engine.
type Options struct {
	// Functions is the function registry (scalar, aggregate, ...).
	Functions *functions.Registry
	// Connectors maps connector names to factories.
	Connectors *connectors.Registry
	// Channels maps sink connector names (webhook, slack, kafka, ...)
	// to channel factories.
	Channels *connectors.ChannelRegistry
	// AlertTick bounds how long a sink's alert timers may wait between
	// checks of the clock (default 1 s; tests that move Now shorten it).
	AlertTick time.Duration
	// Logger receives the engine's logs (slog.Default() if nil).
	Logger *slog.Logger
	// IdleTimeout is how long a source partition may go without data
	// before it stops holding the watermark back (default 30 s).
	IdleTimeout time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// ServerVersion is reported by version() and SHOW server_version.
	ServerVersion string
	// DataDir holds the catalog and checkpoints; empty keeps them in
	// memory (nothing survives a restart).
	DataDir string
	// CheckpointInterval is the time between checkpoints (default 1 s);
	// a negative value disables periodic checkpoints.
	CheckpointInterval time.Duration
	// DefaultRetention is how long a windowed view keeps rows behind the
	// watermark when it does not set WITH (retention = ...) (default
	// 24 hours).
	DefaultRetention time.Duration
	// Roles are the roles the server's configuration defines outside SQL
	// (cmd/tocsin's users file). Nil means authentication is off: any
	// session may create, alter and drop roles (see users.go).
	Roles ConfiguredRoles
	// PasswordVerifier turns a CREATE / ALTER ROLE PASSWORD literal into
	// the verifier stored for it (cmd/tocsin passes
	// pgwire.StoredVerifier, the code that checks logins against it).
	// Nil: passwords are refused (0A000).
	PasswordVerifier func(password string) (string, error)
}

// Engine is a running Tocsin database.
type Engine struct {
	opts Options
	log  *slog.Logger
	cat  *catalog.Catalog

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // serialises DDL, DML on tables, and checkpoint rounds' start
	jobs   map[uint32]*job
	tables map[uint32]*table
	// views maps a view's ID to its store, read by queries.
	views sync.Map

	db *durable.DB
	// ckptMu serialises checkpoints and guards ckpt; a checkpoint takes
	// it under mu, then lets mu go once its round has started, so that
	// DDL and statistics do not wait for its writes and fsync. A drop
	// takes it (under mu) before deleting an object's state, so that no
	// checkpoint in flight writes that state back.
	ckptMu   sync.Mutex
	ckpt     checkpointState
	alerting *alerting
	// pg holds the pg_catalog and information_schema relations,
	// pgSupport the names of the catalog-support functions (pg_catalog
	// in pg_proc), users the connected user names (pg_roles).
	pg        *pgCatalogs
	pgSupport map[string]bool
	users     sessionUsers
	// hub routes LISTEN / NOTIFY notifications (listen.go).
	hub      *listenHub
	loopStop chan struct{}
	loopEnd  chan struct{}

	// ckptMeters count checkpoints for Stats (stats.go).
	ckptMeters checkpointMeters
}

// Open starts an engine: it opens the data directory, re-creates every
// object of the stored catalog, restores each view from the last
// checkpoint, restarts its dataflow from the checkpointed offsets, and
// starts taking checkpoints.
func Open(opts Options) (*Engine, error) {
	e := newEngine(opts)
	dir := ""
	if opts.DataDir != "" {
		dir = filepath.Join(opts.DataDir, "state")
	}
	db, err := durable.Open(dir, e.log)
	if err != nil {
		return nil, err
	}
	e.db = db
	if err := e.recover(); err != nil {
		e.cancel()
		_ = db.Close()
		return nil, fmt.Errorf("recover from %s: %w", opts.DataDir, err)
	}
	e.loopStop, e.loopEnd = make(chan struct{}), make(chan struct{})
	go e.checkpointLoop()
	return e, nil
}

func newEngine(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Connectors == nil {
		opts.Connectors = connectors.NewRegistry()
	}
	if opts.Channels == nil {
		opts.Channels = connectors.NewChannelRegistry()
	}
	if opts.AlertTick == 0 {
		opts.AlertTick = time.Second
	}
	if opts.Functions == nil {
		opts.Functions = functions.NewRegistry()
	}
	if opts.ServerVersion == "" {
		opts.ServerVersion = "15.18 (Tocsin)"
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.DefaultRetention == 0 {
		opts.DefaultRetention = 24 * time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{opts: opts, log: opts.Logger, cat: catalog.New(), ctx: ctx, cancel: cancel, jobs: map[uint32]*job{}, tables: map[uint32]*table{}}
	e.alerting = newAlerting()
	e.hub = newListenHub(opts.Logger, opts.Now)
	e.setupPgCatalog()
	e.addSystemRelations()
	return e
}

// Close takes a final checkpoint, stops every job and closes the data
// directory.
func (e *Engine) Close() error {
	if e.loopStop != nil {
		close(e.loopStop)
		<-e.loopEnd
		e.loopStop = nil
	}
	err := e.Checkpoint()
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, j := range e.jobs {
		j.stop()
		delete(e.jobs, id)
	}
	e.cancel()
	if e.db != nil {
		err = errors.Join(err, e.db.Close())
		e.db = nil
	}
	return err
}

// Catalog returns the engine's catalog (read-only use).
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// ViewSnapshot implements query.Snapshots.
func (e *Engine) ViewSnapshot(obj *catalog.Object) (*view.Snapshot, error) {
	st, ok := e.views.Load(obj.ID)
	if !ok {
		return nil, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %q is not running", obj.Name)
	}
	return st.(*view.Store).Read(), nil
}

// Column describes one result column.
type Column struct {
	Name string
	Type types.Type
	// TableOID and Attr identify the column's table when it is a plain
	// column reference.
	TableOID uint32
	Attr     int16
}

// ResultWriter receives a statement's result: Columns, Rows* and
// Complete; or Complete alone; or Empty. It has the shape of
// pgwire.ResultWriter, adapted by the binary.
type ResultWriter interface {
	Columns(cols []Column) error
	Rows(rec arrow.RecordBatch) error
	Complete(tag string) error
	Empty() error
	Notice(severity, msg string) error
	// CopyIn asks the client for COPY ... FROM STDIN data (text format).
	CopyIn(columns int) (io.Reader, error)
}

// Session is one client's connection to the engine.
type Session struct {
	e    *Engine
	user string
	vars map[string]string
	// startVars are the settings the session started with, which RESET
	// and DISCARD ALL restore.
	startVars map[string]string
	txn       byte
	closed    bool
	// params are the parameter values of the prepared statement being
	// executed (prepare.go), nil otherwise.
	params []types.Datum
	// cursors are the declared cursors (cursor.go); listener is the
	// session's LISTEN state (listen.go), nil until first used.
	cursors  map[string]*cursor
	listener *listener
}

// NewSession starts a session for a client with the given startup
// parameters.
func (e *Engine) NewSession(params map[string]string) *Session {
	vars := map[string]string{
		"application_name":              params["application_name"],
		"client_encoding":               "UTF8",
		"datestyle":                     "ISO, MDY",
		"intervalstyle":                 "postgres",
		"timezone":                      "UTC",
		"standard_conforming_strings":   "on",
		"server_version":                e.opts.ServerVersion,
		"server_encoding":               "UTF8",
		"transaction_isolation":         "read committed",
		"default_transaction_read_only": "off",
		"search_path":                   `"$user", public`,
		"extra_float_digits":            "1",
		"integer_datetimes":             "on",
	}
	for k, v := range params {
		if k != "user" && k != "database" && k != "options" {
			vars[strings.ToLower(k)] = v
		}
	}
	e.users.add(params["user"])
	return &Session{e: e, user: params["user"], vars: vars, startVars: maps.Clone(vars), txn: 'I'}
}

// TxStatus returns 'I', 'T' or 'E' for ReadyForQuery.
func (s *Session) TxStatus() byte { return s.txn }

// Close ends the session.
func (s *Session) Close() error {
	if !s.closed {
		s.e.users.remove(s.user)
		s.closeCursors(false)
		s.stopListening()
	}
	s.closed = true
	return nil
}
