package main

import (
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// With the adapter plugged in, mat.Dense.Mul gives gonum's result to
// within float64 rounding: measure compares the two products.
func TestAdapterMatchesNative(t *testing.T) {
	for _, n := range []int{1, 7, 65, 300} {
		r := measure(n, time.Millisecond)
		if !(r.MaxError <= 1e-12*float64(n)) {
			t.Errorf("n=%d: max |native - adapter| = %g", n, r.MaxError)
		}
		if r.Native <= 0 || r.Adapter <= 0 {
			t.Errorf("n=%d: no timing: %+v", n, r)
		}
	}
	if _, ok := blas64.Implementation().(gonum.Implementation); !ok {
		t.Error("measure left the adapter installed")
	}
}
