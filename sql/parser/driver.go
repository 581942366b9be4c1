package parser

import (
	"fmt"
	"io"
	"strconv"
	"sync"

	tast "github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// The TiDB parser builds literal nodes through package-level constructor
// hooks (ast.NewValueExpr, ast.NewParamMarkerExpr, ast.NewDecimal,
// ast.NewHexLiteral, ast.NewBitLiteral) that a "driver" package must
// set before any parse; tidb.New panics otherwise. This is the one
// global hook in this package and exists only because TiDB requires it.
// It is installed once, from the first parse, and is never changed.
//
// Our driver is deliberately minimal: the rewriter replaces every
// number, string and other constant of the user's text by a `?`
// placeholder whose meaning it keeps in a side table, so TiDB only ever
// builds value nodes for TRUE, FALSE, NULL and values it synthesises
// itself (the GROUP_CONCAT separator, COUNT's argument).
var installDriver sync.Once

func ensureDriver() {
	installDriver.Do(func() {
		tast.NewValueExpr = newValueExpr
		tast.NewParamMarkerExpr = newParamMarkerExpr
		tast.NewDecimal = func(s string) (any, error) { return decimalText(s), nil }
		tast.NewHexLiteral = func(s string) (any, error) { return hexText(s), nil }
		tast.NewBitLiteral = func(s string) (any, error) { return bitText(s), nil }
	})
}

// decimalText, hexText and bitText keep TiDB's literal text so that a
// value TiDB builds itself never loses precision. The rewriter never
// lets TiDB see such literals; they exist so the hooks are total.
type (
	decimalText string
	hexText     string
	bitText     string
)

// valueExpr is the driver's value node: the Go value TiDB handed over
// (nil, bool, int64, uint64, float64, string or one of the text types
// above).
type valueExpr struct {
	tast.TexprNode
	val        any
	projOffset int
}

var (
	_ tast.ValueExpr       = (*valueExpr)(nil)
	_ tast.ParamMarkerExpr = (*paramMarker)(nil)
)

func newValueExpr(value any, _, _ string) tast.ValueExpr {
	if v, ok := value.(*valueExpr); ok {
		return v
	}
	return &valueExpr{val: value, projOffset: -1}
}

// SetValue implements tast.ValueExpr.
func (n *valueExpr) SetValue(v any) { n.val = v }

// GetValue implements tast.ValueExpr.
func (n *valueExpr) GetValue() any { return n.val }

// GetDatumString implements tast.ValueExpr.
func (n *valueExpr) GetDatumString() string { return n.GetString() }

// GetString implements tast.ValueExpr.
func (n *valueExpr) GetString() string {
	switch v := n.val.(type) {
	case nil:
		return ""
	case string:
		return v
	case decimalText:
		return string(v)
	case hexText:
		return string(v)
	case bitText:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// GetProjectionOffset implements tast.ValueExpr.
func (n *valueExpr) GetProjectionOffset() int { return n.projOffset }

// SetProjectionOffset implements tast.ValueExpr.
func (n *valueExpr) SetProjectionOffset(o int) { n.projOffset = o }

// Restore implements tast.Node; only used by TiDB's own debugging paths.
func (n *valueExpr) Restore(ctx *format.RestoreCtx) error {
	switch v := n.val.(type) {
	case nil:
		ctx.WriteKeyWord("NULL")
	case bool:
		ctx.WriteKeyWord(strconv.FormatBool(v))
	case string:
		ctx.WriteString(v)
	default:
		ctx.WritePlain(n.GetString())
	}
	return nil
}

// Format implements tast.ExprNode.
func (n *valueExpr) Format(w io.Writer) { _, _ = io.WriteString(w, n.GetString()) }

// Accept implements tast.Node.
func (n *valueExpr) Accept(v tast.Visitor) (tast.Node, bool) {
	newNode, skip := v.Enter(n)
	if skip {
		return v.Leave(newNode)
	}
	return v.Leave(newNode)
}

// paramMarker is the driver's `?` node. Offset is the byte offset of
// the `?` in the text TiDB parsed, which is how the converter finds the
// constant or placeholder the rewriter put there.
type paramMarker struct {
	valueExpr
	offset int
	order  int
}

func newParamMarkerExpr(offset int) tast.ParamMarkerExpr {
	return &paramMarker{valueExpr: valueExpr{projOffset: -1}, offset: offset}
}

// SetOrder implements tast.ParamMarkerExpr.
func (n *paramMarker) SetOrder(o int) { n.order = o }

// Restore implements tast.Node.
func (n *paramMarker) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlain("?")
	return nil
}

// Accept implements tast.Node.
func (n *paramMarker) Accept(v tast.Visitor) (tast.Node, bool) {
	newNode, skip := v.Enter(n)
	if skip {
		return v.Leave(newNode)
	}
	return v.Leave(newNode)
}
