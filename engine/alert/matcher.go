package alert

import (
	"regexp"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// MatchOp is a label matcher's operator.
type MatchOp uint8

// The matcher operators, as in Alertmanager.
const (
	MatchEqual     MatchOp = iota // label = 'v'
	MatchNotEqual                 // label != 'v'
	MatchRegexp                   // label =~ 're'
	MatchNotRegexp                // label !~ 're'
	numMatchOps
)

// String returns the operator as written in a matcher.
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

// Matcher tests one label of an alert. A missing label matches as the
// empty string, so `team != 'db'` matches alerts without a team label
// and `team = ”` matches exactly those. Regular expressions are fully
// anchored, as in Alertmanager.
type Matcher struct {
	Name  string
	Op    MatchOp
	Value string
	re    *regexp.Regexp
}

// NewMatcher returns a matcher, compiling the regular expression of =~
// and !~. A bad expression is a *sqlerr.Error with SQLSTATE 2201B.
func NewMatcher(name string, op MatchOp, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if op >= numMatchOps {
		return Matcher{}, sqlerr.New(sqlerr.InvalidParameterValue, "invalid matcher operator %d", op)
	}
	if name == "" {
		return Matcher{}, sqlerr.New(sqlerr.InvalidParameterValue, "a matcher needs a label name")
	}
	if op == MatchRegexp || op == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, sqlerr.Wrap(err, sqlerr.InvalidRegularExpression, "matcher %s%s%q", name, op, value)
		}
		m.re = re
	}
	return m, nil
}

// String renders the matcher as `name op "value"`.
func (m Matcher) String() string { return m.Name + m.Op.String() + `"` + m.Value + `"` }

// Matches reports whether the labels satisfy the matcher.
func (m Matcher) Matches(labels []connectors.Label) bool {
	v, _ := labelValue(labels, m.Name)
	switch m.Op {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re != nil && m.re.MatchString(v)
	case MatchNotRegexp:
		return m.re == nil || !m.re.MatchString(v)
	}
	return false
}

// matchAll reports whether every matcher matches.
func matchAll(ms []Matcher, labels []connectors.Label) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

func labelValue(labels []connectors.Label, name string) (string, bool) {
	for _, l := range labels {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}
