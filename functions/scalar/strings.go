package scalar

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

func registerStrings(r *functions.Registry) {
	r.AddScalar(&functions.Scalar{
		Name: "||", Args: []types.Type{types.TextType, types.TextType}, Ret: types.TextType,
		Doc: "string concatenation", Kernel: concatKernel,
	})
}

// concatKernel is text || text (NULL if either side is NULL).
func concatKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	a, b := args[0], args[1]
	if anyNullScalar(args) {
		return nullResult(types.TextType), nil
	}
	if a.IsScalar() && b.IsScalar() {
		return functions.ScalarValue(types.StringDatum(types.TextType, a.Scalar.S+b.Scalar.S)), nil
	}
	validity := validityOf(n, args)
	out := vec.NewStringBuilder(n)
	part := func(v functions.Value, s vec.Strings, i int) []byte {
		if v.IsScalar() {
			return []byte(v.Scalar.S)
		}
		return s.Bytes(i)
	}
	var as, bs vec.Strings
	if !a.IsScalar() {
		as = vec.StringsOf(a.Array)
	}
	if !b.IsScalar() {
		bs = vec.StringsOf(b.Array)
	}
	for i := 0; i < n; i++ {
		out.Data = append(out.Data, part(a, as, i)...)
		out.Data = append(out.Data, part(b, bs, i)...)
		out.Offsets = append(out.Offsets, int32(len(out.Data)))
	}
	arr := out.Finish(types.TextType.Arrow())
	if validity == nil {
		return functions.ArrayValue(arr), nil
	}
	s := vec.StringsOf(arr)
	return functions.ArrayValue(vec.NewString(types.TextType.Arrow(), s.Offsets, s.Data, validity, -1)), nil
}
