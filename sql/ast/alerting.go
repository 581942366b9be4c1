package ast

import "strconv"

// MatchOp is a label matcher's operator, as in Alertmanager.
type MatchOp uint8

// The matcher operators.
const (
	MatchEqual     MatchOp = iota + 1 // =
	MatchNotEqual                     // != or <>
	MatchRegexp                       // =~ (fully anchored)
	MatchNotRegexp                    // !~
)

func (op MatchOp) String() string {
	switch op {
	case MatchEqual:
		return "="
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return "?"
}

// LabelMatcher is `label op 'value'` in MATCHING (...).
type LabelMatcher struct {
	Pos
	Label string
	Op    MatchOp
	Value string
}

// CreateSilence is CREATE SILENCE [name] MATCHING (matchers) FOR
// [INTERVAL] 'duration' [COMMENT 'text'] [WITH (options)].
type CreateSilence struct {
	Pos
	Name     string
	Matchers []LabelMatcher
	// For is the interval text after FOR.
	For     string
	Comment string
	With    []Option
}

// CreateInhibition is CREATE INHIBITION name SOURCE MATCHING (...)
// TARGET MATCHING (...) [EQUAL (label, ...)].
type CreateInhibition struct {
	Pos
	Name   string
	Source []LabelMatcher
	Target []LabelMatcher
	Equal  []string
}

// Acknowledge is ACKNOWLEDGE ALERT id [, ...] [BY 'who'].
type Acknowledge struct {
	Pos
	IDs []int64
	By  string
}

func (*CreateSilence) statement()    {}
func (*CreateInhibition) statement() {}
func (*Acknowledge) statement()      {}

// formatMatchers renders MATCHING's list: label op 'value', ...
func formatMatchers(ms []LabelMatcher) string {
	out := "("
	for i, m := range ms {
		if i > 0 {
			out += ", "
		}
		out += QuoteIdent(m.Label) + " " + m.Op.String() + " " + quoteString(m.Value)
	}
	return out + ")"
}

// alertingStmt prints the alerting statements; it reports false for
// other statements.
func (p *printer) alertingStmt(s Statement) bool {
	switch s := s.(type) {
	case *CreateSilence:
		p.w("CREATE SILENCE ")
		if s.Name != "" {
			p.w(QuoteIdent(s.Name), " ")
		}
		p.w("MATCHING ", formatMatchers(s.Matchers), " FOR ", quoteString(s.For))
		if s.Comment != "" {
			p.w(" COMMENT ", quoteString(s.Comment))
		}
		p.withOptions(s.With)
	case *CreateInhibition:
		p.w("CREATE INHIBITION ", QuoteIdent(s.Name), " SOURCE MATCHING ", formatMatchers(s.Source),
			" TARGET MATCHING ", formatMatchers(s.Target))
		if len(s.Equal) > 0 {
			p.w(" EQUAL (", quoteList(s.Equal), ")")
		}
	case *Acknowledge:
		p.w("ACKNOWLEDGE ALERT ")
		for i, id := range s.IDs {
			if i > 0 {
				p.w(", ")
			}
			p.w(strconv.FormatInt(id, 10))
		}
		if s.By != "" {
			p.w(" BY ", quoteString(s.By))
		}
	default:
		return false
	}
	return true
}
