// Package tocsin_test holds repository-wide architecture checks: the
// import direction between top-level folders, the confinement of each
// third-party SDK to its adapter package, and the bans on reflect in hot
// paths and init() registration (see README, "Architecture").
package tocsin_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/tocsin-db/tocsin/"

// goFile is one non-test Go file with its package directory.
type goFile struct {
	dir     string // relative to the module root, slash-separated
	path    string
	imports []string
	file    *ast.File
}

func sources(t *testing.T) []goFile {
	t.Helper()
	var out []goFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != "." || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		full, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		g := goFile{dir: filepath.ToSlash(filepath.Dir(p)), path: p, file: full}
		for _, im := range f.Imports {
			s, _ := strconv.Unquote(im.Path.Value)
			g.imports = append(g.imports, s)
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no Go files found")
	}
	return out
}

func under(dir, prefix string) bool { return dir == prefix || strings.HasPrefix(dir, prefix+"/") }

// TestImportDirection enforces: cmd → {pgwire, connectors/*, engine} →
// sql → functions → {sql/types, sql/sqlerr} → arrow.
func TestImportDirection(t *testing.T) {
	rules := []struct {
		from      string
		forbidden []string
		allowOnly []string // if set, module imports must be under one of these
	}{
		{from: "sql", forbidden: []string{"engine", "connectors", "pgwire", "cmd"}},
		{from: "functions", allowOnly: []string{"functions", "sql/types", "sql/sqlerr"}},
		{from: "engine", forbidden: []string{"pgwire", "cmd", "connectors/kafka", "connectors/format"}},
		{from: "pgwire", allowOnly: []string{"pgwire", "sql/types", "sql/sqlerr"}},
		{from: "connectors", allowOnly: []string{"connectors", "sql/types", "sql/sqlerr", "functions/vec"}},
		{from: "sql/types", allowOnly: []string{"sql/types"}},
		{from: "sql/sqlerr", allowOnly: []string{"sql/sqlerr"}},
		{from: "sql/ast", allowOnly: []string{"sql/ast"}},
	}
	for _, f := range sources(t) {
		for _, im := range f.imports {
			if !strings.HasPrefix(im, module) {
				continue
			}
			target := strings.TrimPrefix(im, module)
			for _, r := range rules {
				if !under(f.dir, r.from) {
					continue
				}
				for _, bad := range r.forbidden {
					if under(target, bad) {
						t.Errorf("%s imports %s: %s/ must not import %s/", f.path, target, r.from, bad)
					}
				}
				if r.allowOnly != nil {
					ok := false
					for _, a := range r.allowOnly {
						ok = ok || under(target, a)
					}
					if !ok {
						t.Errorf("%s imports %s: %s/ may import only %v", f.path, target, r.from, r.allowOnly)
					}
				}
			}
		}
		// connectors/* never import each other (format is their shared codec).
		if strings.HasPrefix(f.dir, "connectors/") {
			own := strings.SplitN(strings.TrimPrefix(f.dir, "connectors/"), "/", 2)[0]
			for _, im := range f.imports {
				target := strings.TrimPrefix(im, module)
				if strings.HasPrefix(im, module+"connectors/") && !under(target, "connectors/"+own) && !under(target, "connectors/format") {
					t.Errorf("%s imports %s: connectors must not import each other", f.path, target)
				}
			}
		}
	}
}

// TestSDKConfinement keeps each third-party SDK in its adapter package.
func TestSDKConfinement(t *testing.T) {
	confined := map[string][]string{
		// The bench harness's baseline is a plain kafka-go loop on purpose:
		// it is the naive code the engine is measured against.
		"github.com/segmentio/kafka-go":      {"connectors/kafka", "cmd/tocsin/internal/bench"},
		"github.com/jackc/pgx/v5/pgproto3":   {"pgwire"},
		"github.com/twmb/franz-go/pkg/kfake": {"cmd/tocsin/internal/broker"},
		// The latency producer pre-encodes Produce requests (bench only);
		// the Kafka source sends its own Fetch requests (fetchconn.go).
		"github.com/twmb/franz-go/pkg/kmsg":   {"cmd/tocsin/internal/bench", "connectors/kafka"},
		"github.com/twmb/franz-go/pkg/kbin":   {"cmd/tocsin/internal/bench"},
		"github.com/pingcap/tidb/pkg/parser":  {"sql/parser"},
		"github.com/spf13/cobra":              {"cmd/tocsin"},
		"github.com/prometheus/client_golang": {"cmd/tocsin/internal/metrics"},
		"github.com/chromedp/chromedp":        {"cmd/tocsin"},
	}
	for _, f := range sources(t) {
		for _, im := range f.imports {
			for sdk, allowed := range confined {
				if im != sdk && !strings.HasPrefix(im, sdk+"/") {
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || under(f.dir, a)
				}
				if !ok {
					t.Errorf("%s imports %s, which only %v may import", f.path, im, allowed)
				}
			}
		}
	}
}

// TestNoReflectOrInit bans reflect under engine/ and functions/ and
// init() anywhere in non-test code.
func TestNoReflectOrInit(t *testing.T) {
	for _, f := range sources(t) {
		if under(f.dir, "engine") || under(f.dir, "functions") {
			for _, im := range f.imports {
				if im == "reflect" {
					t.Errorf("%s imports reflect (no reflection on hot paths)", f.path)
				}
			}
		}
		for _, d := range f.file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s has an init() function (registration must be explicit)", f.path)
			}
		}
	}
}

// TestNoJunkDrawerPackages bans util/common/misc/helpers packages.
func TestNoJunkDrawerPackages(t *testing.T) {
	for _, f := range sources(t) {
		for _, part := range strings.Split(f.dir, "/") {
			switch part {
			case "util", "utils", "common", "misc", "helpers":
				t.Errorf("%s is in a %q package: name packages after what they provide", f.path, part)
			}
		}
	}
}
