package ast

import "strconv"

// The statements that deliver results as they happen: SUBSCRIBE and
// the cursors that read it, and LISTEN / UNLISTEN / NOTIFY.

// Subscribe is SUBSCRIBE [TO] name [WITH (options)]: a materialized
// view's current rows, then its changes, until the client cancels.
type Subscribe struct {
	Pos
	Name Ident
	With []Option
}

// DeclareCursor is DECLARE name [NO SCROLL] CURSOR [WITH[OUT] HOLD] FOR
// query, where query is a *Subscribe or a *SelectStmt.
type DeclareCursor struct {
	Pos
	Name  string
	Hold  bool
	Query Statement
}

// FetchAll is Fetch.Count for FETCH ALL.
const FetchAll int64 = -1

// Fetch is FETCH [NEXT | n | ALL | FORWARD [n | ALL]] [FROM | IN]
// cursor [WITH (options)].
type Fetch struct {
	Pos
	Cursor string
	// Count is the number of rows asked for, or FetchAll.
	Count int64
	With  []Option
}

// CloseCursor is CLOSE name or CLOSE ALL (All, with an empty Name).
type CloseCursor struct {
	Pos
	Name string
	All  bool
}

// Listen is LISTEN channel.
type Listen struct {
	Pos
	Channel string
}

// Unlisten is UNLISTEN channel or UNLISTEN * (All, with an empty
// Channel).
type Unlisten struct {
	Pos
	Channel string
	All     bool
}

// Notify is NOTIFY channel [, 'payload'].
type Notify struct {
	Pos
	Channel string
	Payload string
}

func (*Subscribe) statement()     {}
func (*DeclareCursor) statement() {}
func (*Fetch) statement()         {}
func (*CloseCursor) statement()   {}
func (*Listen) statement()        {}
func (*Unlisten) statement()      {}
func (*Notify) statement()        {}

// liveStmt prints the statements of this file; it reports false for
// other statements.
func (p *printer) liveStmt(s Statement) bool {
	switch s := s.(type) {
	case *Subscribe:
		p.w("SUBSCRIBE TO ", quoteParts(s.Name.Parts))
		p.withOptions(s.With)
	case *DeclareCursor:
		p.w("DECLARE ", QuoteIdent(s.Name), " CURSOR ")
		if s.Hold {
			p.w("WITH HOLD ")
		}
		p.w("FOR ")
		p.stmt(s.Query)
	case *Fetch:
		p.w("FETCH ")
		if s.Count == FetchAll {
			p.w("ALL")
		} else {
			p.w(strconv.FormatInt(s.Count, 10))
		}
		p.w(" FROM ", QuoteIdent(s.Cursor))
		p.withOptions(s.With)
	case *CloseCursor:
		if s.All {
			p.w("CLOSE ALL")
		} else {
			p.w("CLOSE ", QuoteIdent(s.Name))
		}
	case *Listen:
		p.w("LISTEN ", QuoteIdent(s.Channel))
	case *Unlisten:
		if s.All {
			p.w("UNLISTEN *")
		} else {
			p.w("UNLISTEN ", QuoteIdent(s.Channel))
		}
	case *Notify:
		p.w("NOTIFY ", QuoteIdent(s.Channel))
		if s.Payload != "" {
			p.w(", ", quoteString(s.Payload))
		}
	default:
		return false
	}
	return true
}
