package kernels

import (
	"math"
	"unsafe"
)

// span is how many elements a rows x cols matrix stored with row stride ld
// reaches from its first, (rows-1)*ld + cols, and false when that number
// does not fit in an int. It never multiplies first: a caller's stride of
// 1<<62 must not wrap into a small, plausible length. rows, cols >= 0 and
// ld >= cols.
func span(rows, cols, ld int) (int, bool) {
	if rows == 0 || cols == 0 {
		return 0, true
	}
	if rows > 1 && ld > (math.MaxInt-cols)/(rows-1) {
		return 0, false
	}
	return (rows-1)*ld + cols, true
}

// overlap reports whether the first n elements of s and the first m of t
// share memory: an O(1) test on their address ranges. A routine that reads
// one while writing the other would read what it has already overwritten.
func overlap[E element](s []E, n int, t []E, m int) bool {
	if n == 0 || m == 0 {
		return false
	}
	size := uintptr(unsafe.Sizeof(s[0]))
	s0 := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	t0 := uintptr(unsafe.Pointer(unsafe.SliceData(t)))
	return s0 < t0+uintptr(m)*size && t0 < s0+uintptr(n)*size
}
