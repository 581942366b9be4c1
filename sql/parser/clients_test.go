package parser

import (
	"os"
	"strings"
	"testing"
)

// knownClientFailures lists captured client queries the parser rejects
// on purpose, each identified by a fragment of its text, with the
// reason. The test fails if one of them starts to parse (update the
// list) or if any other query fails.
var knownClientFailures = map[string]string{}

// TestClientQueries parses every catalog query that psql, pgJDBC,
// SQLAlchemy, pgcli, Grafana, Metabase and pgx were observed to send.
func TestClientQueries(t *testing.T) {
	queries := clientQueries(t)
	ok := 0
	for _, q := range queries {
		_, err := Parse(q.text)
		known := ""
		for frag, why := range knownClientFailures {
			if strings.Contains(q.text, frag) {
				known = why
			}
		}
		switch {
		case err == nil && known == "":
			ok++
		case err == nil:
			t.Errorf("%s: query now parses; remove it from knownClientFailures (%s)", q.source, known)
		case known != "":
			t.Logf("%s: known failure (%s): %v", q.source, known, err)
		default:
			t.Errorf("%s: %v\n%s", q.source, err, q.text)
		}
	}
	t.Logf("%d of %d captured client queries parse", ok, len(queries))
}

type clientQuery struct{ source, text string }

// clientQueries reads testdata/client_queries.sql: each query follows a
// line "#> source".
func clientQueries(t testing.TB) []clientQuery {
	b, err := os.ReadFile("testdata/client_queries.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []clientQuery
	for _, chunk := range strings.Split(string(b), "\n#> ")[1:] {
		src, q, _ := strings.Cut(chunk, "\n")
		out = append(out, clientQuery{src, q})
	}
	return out
}
