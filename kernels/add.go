package kernels

import "fmt"

// Add adds src onto dst element by element, dst[i] += src[i]: one
// rounding per element, so every implementation gives the same bits.
// (A convolution's input gradient sums its patches back onto the pixels
// with it.)
func Add(dst, src []float32) error {
	if len(src) != len(dst) {
		return fmt.Errorf("kernels: add: len(dst) = %d, len(src) = %d: lengths differ", len(dst), len(src))
	}
	if len(dst) == 0 {
		return nil
	}
	raceRead(src)
	raceWrite(dst)
	active.Load().add(dst, src)
	return nil
}

// addGeneric is the reference.
func addGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// vectorAdd makes an implementation's Add from a kernel that takes a
// multiple of width floats; the generic loop does the rest.
func vectorAdd(kernel func(dst, src *float32, n int), width int) func(dst, src []float32) {
	return func(dst, src []float32) {
		n := len(dst) / width * width
		if n > 0 {
			kernel(&dst[0], &src[0], n)
		}
		addGeneric(dst[n:], src[n:])
	}
}
