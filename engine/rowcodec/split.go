package rowcodec

import (
	"bytes"

	"github.com/tocsin-db/tocsin/sql/types"
)

// Skip returns src after the encoding of one value of type t.
func Skip(src []byte, t types.Type) ([]byte, error) {
	if len(src) == 0 {
		return nil, ErrCorrupt
	}
	if src[0] == tagNull {
		return src[1:], nil
	}
	src = src[1:]
	size := 0
	switch t.Kind {
	case types.Float32, types.Float64, types.Int16, types.Int32, types.Int64, types.Timestamp, types.TimestampTZ, types.Date, types.Oid:
		size = 8
	case types.Interval:
		size = 24
	case types.Bool:
		size = 1
	default:
		for {
			j := bytes.IndexByte(src[size:], 0)
			if j < 0 || size+j+1 >= len(src) {
				return nil, ErrCorrupt
			}
			size += j + 2
			switch src[size-1] {
			case 1:
				return src[size:], nil
			case 0xff:
			default:
				return nil, ErrCorrupt
			}
		}
	}
	if len(src) < size {
		return nil, ErrCorrupt
	}
	return src[size:], nil
}

// DecodeSplit decodes one row whose columns are stored in two
// encodings: key holds the values of columns keyCols in that order, rest
// those of restCols. Together they must name every column once. Both
// encodings must be consumed exactly.
func (c *Columns) DecodeSplit(key []byte, keyCols []int, rest []byte, restCols []int) error {
	var err error
	for _, k := range keyCols {
		if key, err = c.decodeValue(k, c.types[k], key); err != nil {
			return err
		}
	}
	for _, k := range restCols {
		if rest, err = c.decodeValue(k, c.types[k], rest); err != nil {
			return err
		}
	}
	if len(key) != 0 || len(rest) != 0 {
		return ErrCorrupt
	}
	c.n++
	return nil
}
