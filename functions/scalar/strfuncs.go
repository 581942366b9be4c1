package scalar

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"unicode"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the kernels of the character-string functions
// (registered in strings.go). Lengths and positions count characters
// (UTF-8 code points), as Postgres does in a UTF-8 database; bytes that
// are not valid UTF-8 count as one character each and are copied
// unchanged. Kernels run inside strict(), so they only see array
// batches with no NULL scalar argument.

// mapText applies f to every non-NULL row of a text argument, appending
// each result to the output data.
func mapText(args []functions.Value, n int, f func(dst, s []byte) []byte) (functions.Value, error) {
	in := textArgOf(args[0])
	validity := validityOf(n, args)
	offsets := make([]int32, n+1)
	data := make([]byte, 0, textCap(in, n))
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		if valid(validity, i) {
			data = f(data, in.at(i))
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
		}
		offsets[i+1] = int32(len(data))
	}
	return textResult(types.TextType, offsets, data, validity), nil
}

// textCap estimates the output bytes of a length-preserving map.
func textCap(in textArg, n int) int {
	if in.isScalar {
		return len(in.scalar) * n
	}
	return int(in.strs.Offsets[n]-in.strs.Offsets[0]) + 16
}

// isASCII reports whether b holds only 7-bit bytes.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|
			uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// caseMap is lower or upper: it converts a whole ASCII array in one pass
// over its data buffer and falls back to per-row rune mapping otherwise.
func caseMap(args []functions.Value, n int, upper bool) (functions.Value, error) {
	in := textArgOf(args[0])
	if in.isScalar {
		return mapText(args, n, func(dst, s []byte) []byte { return appendCase(dst, s, upper) })
	}
	lo, hi := in.strs.Offsets[0], in.strs.Offsets[n]
	if src := in.strs.Data[lo:hi]; isASCII(src) {
		data := make([]byte, len(src))
		if upper {
			for i, c := range src {
				if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				data[i] = c
			}
		} else {
			for i, c := range src {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				data[i] = c
			}
		}
		offsets := make([]int32, n+1)
		for i := range offsets {
			offsets[i] = in.strs.Offsets[i] - lo
		}
		return textResult(types.TextType, offsets, data, validityOf(n, args)), nil
	}
	return mapText(args, n, func(dst, s []byte) []byte { return appendCase(dst, s, upper) })
}

// appendCase appends s lower- or upper-cased: ASCII inline, other
// characters by Unicode simple case mapping, invalid bytes unchanged.
func appendCase(dst, s []byte, upper bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if upper && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, c)
		case upper:
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		default:
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}

// charLen counts the characters of s.
func charLen(s []byte) int {
	n := 0
	for i := 0; i < len(s); n++ {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(s[i:])
		i += size
	}
	return n
}

// charOffset returns the byte offset of character k (0-based) of s, or
// len(s) if s has fewer characters.
func charOffset(s []byte, k int64) int {
	i := 0
	for ; k > 0 && i < len(s); k-- {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(s[i:])
		i += size
	}
	return i
}

// lengthKernel is length / char_length (chars) or octet_length (bytes).
func lengthKernel(chars bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in := textArgOf(args[0])
		validity := validityOf(n, args)
		out := make([]int32, n)
		ascii := !chars || !in.isScalar && isASCII(in.strs.Data[in.strs.Offsets[0]:in.strs.Offsets[n]])
		for i := 0; i < n; i++ {
			if ascii && !in.isScalar {
				out[i] = in.strs.Offsets[i+1] - in.strs.Offsets[i]
			} else if !chars {
				out[i] = int32(len(in.at(i)))
			} else {
				out[i] = int32(charLen(in.at(i)))
			}
		}
		return fixedResult(types.Int32Type, out, validity), nil
	}
}

// substrChars implements substring(s FROM start [FOR count]) with
// Postgres's rules: positions before 1 shorten the count, a negative
// count is an error.
func substrChars(s []byte, start, count int64, hasCount bool) ([]byte, error) {
	if !hasCount {
		if start < 1 {
			start = 1
		}
		return s[charOffset(s, start-1):], nil
	}
	if count < 0 {
		return nil, sqlerr.New(sqlerr.SubstringError, "negative substring length not allowed")
	}
	end := start + count // exclusive, 1-based; int4 inputs cannot overflow
	if end <= 1 {
		return nil, nil
	}
	if start < 1 {
		start = 1
	}
	b := charOffset(s, start-1)
	e := b + charOffset(s[b:], end-start)
	return s[b:e], nil
}

func substrKernel(ts []types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in := textArgOf(args[0])
		start := intOf(args[1], ts[1])
		var count intArgOf
		hasCount := len(args) > 2
		if hasCount {
			count = intOf(args[2], ts[2])
		}
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				var c int64
				if hasCount {
					c = count.at(i)
				}
				part, err := substrChars(in.at(i), start.at(i), c, hasCount)
				if err != nil {
					return functions.Value{}, err
				}
				data = append(data, part...)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

// trimSet is the set of characters btrim/ltrim/rtrim remove.
type trimSet struct {
	ascii [4]uint64 // bitset of single-byte characters
	runes []rune    // multi-byte characters
	src   []byte
}

func newTrimSet(chars []byte) *trimSet {
	ts := &trimSet{src: chars}
	for i := 0; i < len(chars); {
		r, size := utf8.DecodeRune(chars[i:])
		if size == 1 {
			c := chars[i]
			ts.ascii[c>>6] |= 1 << (c & 63)
		} else {
			ts.runes = append(ts.runes, r)
		}
		i += size
	}
	return ts
}

func (t *trimSet) has(s []byte) (bool, int) {
	c := s[0]
	if c < utf8.RuneSelf {
		return t.ascii[c>>6]&(1<<(c&63)) != 0, 1
	}
	r, size := utf8.DecodeRune(s)
	if size == 1 {
		// An invalid byte is a character of its own.
		return t.ascii[c>>6]&(1<<(c&63)) != 0, 1
	}
	for _, x := range t.runes {
		if x == r {
			return true, size
		}
	}
	return false, size
}

func (t *trimSet) hasLast(s []byte) (bool, int) {
	c := s[len(s)-1]
	if c < utf8.RuneSelf {
		return t.ascii[c>>6]&(1<<(c&63)) != 0, 1
	}
	_, size := utf8.DecodeLastRune(s)
	ok, _ := t.has(s[len(s)-size:])
	return ok, size
}

func (t *trimSet) trim(s []byte, left, right bool) []byte {
	if left {
		for len(s) > 0 {
			ok, size := t.has(s)
			if !ok {
				break
			}
			s = s[size:]
		}
	}
	if right {
		for len(s) > 0 {
			ok, size := t.hasLast(s)
			if !ok {
				break
			}
			s = s[:len(s)-size]
		}
	}
	return s
}

var spaceOnly = []byte{' '}

func trimKernel(left, right bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in := textArgOf(args[0])
		chars := textArg{scalar: spaceOnly, isScalar: true}
		if len(args) > 1 {
			chars = textArgOf(args[1])
		}
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		data := make([]byte, 0, len(in.strs.Data))
		var set *trimSet
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				if c := chars.at(i); set == nil || !bytes.Equal(c, set.src) {
					set = newTrimSet(c)
				}
				data = append(data, set.trim(in.at(i), left, right)...)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

// appendReplaced appends s with every non-overlapping occurrence of from
// replaced by to; an empty from leaves s unchanged.
func appendReplaced(dst, s, from, to []byte) []byte {
	if len(from) == 0 {
		return append(dst, s...)
	}
	for {
		j := bytes.Index(s, from)
		if j < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		dst = append(dst, to...)
		s = s[j+len(from):]
	}
}

func replaceKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	in, from, to := textArgOf(args[0]), textArgOf(args[1]), textArgOf(args[2])
	validity := validityOf(n, args)
	offsets := make([]int32, n+1)
	data := make([]byte, 0, len(in.strs.Data))
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		if valid(validity, i) {
			data = appendReplaced(data, in.at(i), from.at(i), to.at(i))
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
		}
		offsets[i+1] = int32(len(data))
	}
	return textResult(types.TextType, offsets, data, validity), nil
}

// splitPart returns field k (1-based; negative counts from the end) of s
// split on delim, or "" if there is no such field.
func splitPart(s, delim []byte, k int64) ([]byte, error) {
	if k == 0 {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "field position must not be zero")
	}
	if len(s) == 0 {
		return nil, nil
	}
	if len(delim) == 0 {
		if k == 1 || k == -1 {
			return s, nil
		}
		return nil, nil
	}
	if k < 0 {
		fields := int64(bytes.Count(s, delim)) + 1
		k += fields + 1
		if k < 1 {
			return nil, nil
		}
	}
	for ; k > 1; k-- {
		j := bytes.Index(s, delim)
		if j < 0 {
			return nil, nil
		}
		s = s[j+len(delim):]
	}
	if j := bytes.Index(s, delim); j >= 0 {
		s = s[:j]
	}
	return s, nil
}

func splitPartKernel(ts []types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, delim, field := textArgOf(args[0]), textArgOf(args[1]), intOf(args[2], ts[2])
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				part, err := splitPart(in.at(i), delim.at(i), field.at(i))
				if err != nil {
					return functions.Value{}, err
				}
				data = append(data, part...)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

func strposKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	in, sub := textArgOf(args[0]), textArgOf(args[1])
	validity := validityOf(n, args)
	out := make([]int32, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		s := in.at(i)
		if j := bytes.Index(s, sub.at(i)); j >= 0 {
			out[i] = int32(charLen(s[:j])) + 1
		}
	}
	return fixedResult(types.Int32Type, out, validity), nil
}

// leftRight is left(s, k) (fromRight false) or right(s, k).
func leftRight(s []byte, k int64, fromRight bool) []byte {
	if k < 0 {
		total := int64(charLen(s))
		if -k >= total {
			return nil
		}
		if fromRight {
			return s[charOffset(s, -k):]
		}
		return s[:charOffset(s, total+k)]
	}
	if !fromRight {
		return s[:charOffset(s, k)]
	}
	total := int64(charLen(s))
	if k >= total {
		return s
	}
	return s[charOffset(s, total-k):]
}

func leftRightKernel(ts []types.Type, fromRight bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, k := textArgOf(args[0]), intOf(args[1], ts[1])
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				data = append(data, leftRight(in.at(i), k.at(i), fromRight)...)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

func repeatKernel(ts []types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, k := textArgOf(args[0]), intOf(args[1], ts[1])
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				s, times := in.at(i), k.at(i)
				if times > 0 && len(s) > 0 {
					if int64(len(s))*times > maxValueLen || int64(len(data))+int64(len(s))*times > maxTextBytes {
						return functions.Value{}, tooLarge()
					}
					for ; times > 0; times-- {
						data = append(data, s...)
					}
				}
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

func appendReversed(dst, s []byte) []byte {
	for len(s) > 0 {
		_, size := utf8.DecodeLastRune(s)
		dst = append(dst, s[len(s)-size:]...)
		s = s[:len(s)-size]
	}
	return dst
}

// appendInitcap upper-cases the first letter of each word and
// lower-cases the rest; a word is a run of letters and digits.
func appendInitcap(dst, s []byte) []byte {
	inWord := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[i])
			inWord = false
			i++
			continue
		}
		if inWord {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		} else {
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		}
		inWord = unicode.IsLetter(r) || unicode.IsDigit(r)
		i += size
	}
	return dst
}

func appendMD5(dst, s []byte) []byte {
	sum := md5.Sum(s)
	return hex.AppendEncode(dst, sum[:])
}

// appendPadded is lpad (left) or rpad: s is cut to width characters or
// filled up to it by repeating fill.
func appendPadded(dst, s []byte, width int64, fill []byte, left bool) ([]byte, error) {
	if width < 0 {
		width = 0
	}
	m := int64(charLen(s))
	if m > width {
		m = width
	} else if len(fill) == 0 {
		width = m
	}
	if width*4 > maxValueLen-4 {
		return nil, tooLarge()
	}
	head := s[:charOffset(s, m)]
	if !left {
		dst = append(dst, head...)
	}
	for pad, f := width-m, fill; pad > 0; pad-- {
		if len(f) == 0 {
			f = fill
		}
		_, size := utf8.DecodeRune(f)
		dst = append(dst, f[:size]...)
		f = f[size:]
	}
	if left {
		dst = append(dst, head...)
	}
	return dst, nil
}

func padKernel(ts []types.Type, left bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, width := textArgOf(args[0]), intOf(args[1], ts[1])
		fill := textArg{scalar: spaceOnly, isScalar: true}
		if len(args) > 2 {
			fill = textArgOf(args[2])
		}
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				var err error
				if data, err = appendPadded(data, in.at(i), width.at(i), fill.at(i), left); err != nil {
					return functions.Value{}, err
				}
				if len(data) > maxTextBytes {
					return functions.Value{}, tooLarge()
				}
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}

func startsWithKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	in, prefix := textArgOf(args[0]), textArgOf(args[1])
	validity := validityOf(n, args)
	bits := vec.Bitmap(n)
	for i := 0; i < n; i++ {
		setBit(bits, i, bytes.HasPrefix(in.at(i), prefix.at(i)))
	}
	return boolResult(n, bits, validity), nil
}
