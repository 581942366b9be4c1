package scalar

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// to_char(timestamp[tz], text): the output side of the template
// patterns in datefmt.go. An empty template or an infinite timestamp
// gives NULL, as in Postgres.

// toCharKernel formats with prepared nodes, or with the template
// argument compiled per distinct value.
func toCharKernel(t types.Type, nodes []dtNode) functions.Kernel {
	prepared := nodes != nil
	tz := t.Kind == types.TimestampTZ
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		ts, fmts := fixedOf[int64](args[0]), textArgOf(args[1])
		mask := newNullMask(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		var cache formatCache
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			offsets[i+1] = int32(len(data))
			if !mask.valid(i) {
				continue
			}
			f := nodes
			if !prepared {
				f = cache.get(fmts.at(i))
			}
			us := ts.at(i)
			if len(f) == 0 || isInfinite(us) {
				mask.setNull(i)
				continue
			}
			data = appendToChar(data, us, f, tz)
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, mask.bits), nil
	}
}

// adjustYear turns an astronomical year into the positive year number
// printed with BC.
func adjustYear(y int64) int64 {
	if y <= 0 {
		return 1 - y
	}
	return y
}

// appendToChar renders one timestamp with a compiled template.
func appendToChar(dst []byte, us int64, nodes []dtNode, tz bool) []byte {
	days := floorDiv(us, types.MicrosPerDay)
	tod := us - days*types.MicrosPerDay
	hour := tod / types.MicrosPerHour
	minute := tod / types.MicrosPerMinute % 60
	sec := tod / types.MicrosPerSecond % 60
	fsec := tod % types.MicrosPerSecond
	y, m, d := civilFromDays(days)
	doy := days - daysFromCivil(y, 1, 1) + 1
	dow := floorMod(days+4, 7) // 0 = Sunday
	ay := adjustYear(y)
	for k := range nodes {
		n := &nodes[k]
		switch n.field {
		case fLiteral:
			dst = append(dst, n.lit...)
		case fYYYY:
			dst = appendNum(dst, ay, 4, n)
		case fYCommaYYY:
			dst = appendNum(dst, ay/1000, 0, &dtNode{})
			dst = append(dst, ',')
			dst = appendNum(dst, ay%1000, 3, &dtNode{th: n.th})
		case fYYY:
			dst = appendNum(dst, ay%1000, 3, n)
		case fYY:
			dst = appendNum(dst, ay%100, 2, n)
		case fY:
			dst = appendNum(dst, ay%10, 1, n)
		case fIYYY, fIYY, fIY, fI:
			iy, _ := isoWeek(days)
			iy = adjustYear(iy)
			switch n.field {
			case fIYYY:
				dst = appendNum(dst, iy, 4, n)
			case fIYY:
				dst = appendNum(dst, iy%1000, 3, n)
			case fIY:
				dst = appendNum(dst, iy%100, 2, n)
			default:
				dst = appendNum(dst, iy%10, 1, n)
			}
		case fMM:
			dst = appendNum(dst, m, 2, n)
		case fMonth:
			dst = appendCased(dst, monthNames[m-1], 9, n)
		case fMon:
			dst = appendCased(dst, monthNames[m-1][:3], 3, n)
		case fRM:
			dst = appendCased(dst, romanMonths[m-1], 4, n)
		case fDD:
			dst = appendNum(dst, d, 2, n)
		case fDDD:
			dst = appendNum(dst, doy, 3, n)
		case fIDDD:
			iy, _ := isoWeek(days)
			dst = appendNum(dst, days-isoWeek1Monday(iy)+1, 3, n)
		case fD:
			dst = appendNum(dst, dow+1, 0, n)
		case fID:
			id := dow
			if id == 0 {
				id = 7
			}
			dst = appendNum(dst, id, 0, n)
		case fDay:
			dst = appendCased(dst, dayNames[dow], 9, n)
		case fDy:
			dst = appendCased(dst, dayNames[dow][:3], 3, n)
		case fW:
			dst = appendNum(dst, (d-1)/7+1, 0, n)
		case fWW:
			dst = appendNum(dst, (doy-1)/7+1, 2, n)
		case fIW:
			_, w := isoWeek(days)
			dst = appendNum(dst, w, 2, n)
		case fQ:
			dst = appendNum(dst, (m-1)/3+1, 0, n)
		case fCC:
			var c int64
			if y > 0 {
				c = (y-1)/100 + 1
			} else {
				c = y/100 - 1
			}
			dst = appendNum(dst, c, 2, n)
		case fJ:
			dst = appendNum(dst, days+2440588, 0, n)
		case fHH24:
			dst = appendNum(dst, hour, 2, n)
		case fHH12:
			h := hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendNum(dst, h, 2, n)
		case fMI:
			dst = appendNum(dst, minute, 2, n)
		case fSS:
			dst = appendNum(dst, sec, 2, n)
		case fSSSS:
			dst = appendNum(dst, hour*3600+minute*60+sec, 0, n)
		case fMS:
			dst = appendNum(dst, fsec/1000, 3, n)
		case fUS:
			dst = appendNum(dst, fsec, 6, n)
		case fFF1, fFF2, fFF3, fFF4, fFF5, fFF6:
			digits := int(n.field-fFF1) + 1
			div := int64(1)
			for k := digits; k < 6; k++ {
				div *= 10
			}
			dst = appendNum(dst, fsec/div, digits, n)
		case fAM, fAMd:
			s := "AM"
			if hour >= 12 {
				s = "PM"
			}
			if n.field == fAMd {
				s = s[:1] + "." + s[1:] + "."
			}
			dst = appendCased(dst, s, 0, n)
		case fBC, fBCd:
			s := "AD"
			if y <= 0 {
				s = "BC"
			}
			if n.field == fBCd {
				s = s[:1] + "." + s[1:] + "."
			}
			dst = appendCased(dst, s, 0, n)
		case fTZ:
			if tz {
				dst = appendCased(dst, "UTC", 0, n)
			}
		case fTZH, fOF:
			dst = append(dst, "+00"...)
		case fTZM:
			dst = append(dst, "00"...)
		}
	}
	return dst
}

// isoWeek1Monday returns the Monday that starts ISO year y.
func isoWeek1Monday(y int64) int64 {
	jan4 := daysFromCivil(y, 1, 4)
	return jan4 - floorMod(jan4+3, 7)
}
