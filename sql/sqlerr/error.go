package sqlerr

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error is a user-visible error with a SQLSTATE. The zero Pos means the
// error does not refer to a place in the query text.
type Error struct {
	Code   Code
	Msg    string
	Detail string
	Hint   string
	// Pos is the 1-based byte offset into the query text, or 0.
	Pos int
	// Err is the wrapped cause, if any; it is not shown to clients.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted message and no position.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// At returns an Error at the 0-based byte offset off of the query text.
// A negative offset means no position.
func At(code Code, off int, format string, args ...any) *Error {
	e := New(code, format, args...)
	if off >= 0 {
		e.Pos = off + 1
	}
	return e
}

// Wrap returns an Error with the given code whose message is the cause's
// message prefixed by a formatted context (when format is non-empty). It
// keeps the cause for errors.Is and errors.As.
func Wrap(err error, code Code, format string, args ...any) *Error {
	msg := err.Error()
	if format != "" {
		msg = fmt.Sprintf(format, args...) + ": " + msg
	}
	return &Error{Code: code, Msg: msg, Err: err}
}

// WithDetail sets the detail and returns e.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// CodeOf returns the SQLSTATE of err: the code of the first *Error in its
// chain, or Internal if there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain, converting any other error
// into an Internal one.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Msg: err.Error(), Err: err}
}

// Shift returns a copy of err with its position moved by delta bytes, for
// errors found in a fragment of a larger text. Errors without a position
// and non-*Error errors are returned unchanged.
func Shift(err error, delta int) error {
	var e *Error
	if !errors.As(err, &e) || e.Pos == 0 || delta == 0 {
		return err
	}
	c := *e
	c.Pos += delta
	return &c
}

// CharPos converts a 1-based byte offset into text to the 1-based
// character (rune) position Postgres reports. Offsets past the end are
// clamped to one past the last character.
func CharPos(text string, bytePos int) int {
	if bytePos <= 0 {
		return 0
	}
	if bytePos > len(text)+1 {
		bytePos = len(text) + 1
	}
	return utf8.RuneCountInString(text[:bytePos-1]) + 1
}
