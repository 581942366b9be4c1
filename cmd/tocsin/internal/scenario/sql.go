package scenario

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine"
)

// SQL is a session on an engine: it loads a scenario's statements and
// reads the system tables the pacers and tests look at. It is not safe
// for concurrent use.
type SQL struct {
	sess *engine.Session
}

var _ Executor = (*SQL)(nil)

// NewSQL opens a session on e as the user "scenario".
func NewSQL(e *engine.Engine) *SQL {
	return &SQL{sess: e.NewSession(map[string]string{"user": "scenario", "application_name": "tocsin scenario"})}
}

// Exec runs text (any number of statements) and discards the results.
func (s *SQL) Exec(ctx context.Context, text string) error {
	return s.sess.Query(ctx, text, &collector{})
}

// Query runs text and returns the rows of its last result, each value
// as text ("" for NULL), and the column names.
func (s *SQL) Query(ctx context.Context, text string) (cols []string, rows [][]string, err error) {
	c := &collector{}
	if err := s.sess.Query(ctx, text, c); err != nil {
		return nil, nil, err
	}
	return c.cols, c.rows, nil
}

// Close ends the session.
func (s *SQL) Close() error { return s.sess.Close() }

// collector is an engine.ResultWriter that keeps the last result's
// rows as text.
type collector struct {
	cols []string
	rows [][]string
}

var _ engine.ResultWriter = (*collector)(nil)

func (c *collector) Columns(cols []engine.Column) error {
	c.cols, c.rows = c.cols[:0], nil
	for _, col := range cols {
		c.cols = append(c.cols, col.Name)
	}
	return nil
}

func (c *collector) Rows(rec arrow.RecordBatch) error {
	for i := range int(rec.NumRows()) {
		row := make([]string, rec.NumCols())
		for j, col := range rec.Columns() {
			if col.IsValid(i) {
				row[j] = col.ValueStr(i)
			}
		}
		c.rows = append(c.rows, row)
	}
	return nil
}

func (c *collector) Complete(string) error       { return nil }
func (c *collector) Empty() error                { return nil }
func (c *collector) Notice(string, string) error { return nil }
func (c *collector) CopyIn(int) (io.Reader, error) {
	return nil, errors.New("scenario: COPY FROM STDIN is not supported")
}
