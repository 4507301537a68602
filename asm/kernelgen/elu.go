// The ELU kernels of every ISA share one algorithm and its constants.
package main

import (
	"math"
)

func f32bits(f float64) uint32 { return math.Float32bits(float32(f)) }

// expm1 on the reduced argument r in [-ln2/2, ln2/2]: r*(1 + r/2 + r^2/6 +
// ... + r^6/5040), Taylor to degree 7 (truncation < 2e-8 relative).
var expm1Coeffs = []float64{1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1}

const (
	log2e = 1.4426950408889634
	ln2hi = 0.693359375
	ln2lo = -2.12194440e-4
	clamp = -87.0 // below this exp(x) < 1.7e-38 and 2^n stays a normal number
)
