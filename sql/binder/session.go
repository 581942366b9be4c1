package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// bindSessionTVF binds SESSION(rel, ts, gap).
func (b *Binder) bindSessionTVF(t *ast.TableFunc) (plan.Node, *scope, error) {
	return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, t.Off, "SESSION windows are not supported yet")
}
