package window

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// TumbleStart returns the start of the tumbling window of the given size
// and offset that contains ts.
func TumbleStart(ts, size, offset int64) int64 {
	return floorDiv(ts-offset, size)*size + offset
}

// HopStarts appends to dst the starts of every hopping window (slide,
// size, offset) containing ts, earliest first. size must be a multiple
// of slide, so there are exactly size/slide of them.
func HopStarts(dst []int64, ts, slide, size, offset int64) []int64 {
	last := TumbleStart(ts, slide, offset)
	for s := last - size + slide; s <= last; s += slide {
		dst = append(dst, s)
	}
	return dst
}
