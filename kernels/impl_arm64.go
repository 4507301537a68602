//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

var neonImpl = register(&impl{
	name:     "neon",
	rank:     10,
	features: []string{"ASIMD"},
	missing:  func() string { return missingFeatures(cpuid.ASIMD) },
	sgemm:    &gemmImpl[float32]{mr: neonMR, nr: neonNR, kernel: sgemmKernelNEON},
	dgemm:    &gemmImpl[float64]{mr: neonDMR, nr: neonDNR, kernel: dgemmKernelNEON},
	eluFwd: func(y, x []float32, alpha float32) {
		n := len(x) &^ 3
		if n > 0 {
			eluForwardNEON(&y[0], &x[0], n, alpha)
		}
		eluForwardGeneric(y[n:], x[n:], alpha)
	},
	eluBwd: func(dx, dy, y []float32, alpha float32) {
		n := len(y) &^ 3
		if n > 0 {
			eluBackwardNEON(&dx[0], &dy[0], &y[0], n, alpha)
		}
		eluBackwardGeneric(dx[n:], dy[n:], y[n:], alpha)
	},
})

func init() {
	neonImpl.normal, neonImpl.noisyStep = vectorNoise(normalNEON, noisyStepNEON)
	neonImpl.adam = adamGeneric // no NEON kernel yet: the generic loop
	neonImpl.add = addGeneric
}
