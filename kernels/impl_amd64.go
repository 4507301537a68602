//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

var avx2Impl = register(&impl{
	name:     "avx2",
	rank:     10,
	features: []string{"AVX", "AVX2", "FMA3"},
	missing:  func() string { return missingFeatures(cpuid.AVX, cpuid.AVX2, cpuid.FMA3) },
	sgemm:    &gemmImpl[float32]{mr: avx2MR, nr: avx2NR, kernel: sgemmKernelAVX2, half: sgemmHalfAVX2, rows: sgemmRowsAVX2, rowsHalf: sgemmRowsHalfAVX2, pair: sgemmPairAVX2, dot: sdotKernelAVX2, pack8: pack8AVX, gather: sgemmGatherAVX2},
	dgemm:    &gemmImpl[float64]{mr: avx2DMR, nr: avx2DNR, kernel: dgemmKernelAVX2, half: dgemmHalfAVX2},
	eluFwd: func(y, x []float32, alpha float32) {
		n := len(x) &^ 7
		if n > 0 {
			eluForwardAVX2(&y[0], &x[0], n, alpha)
		}
		eluForwardGeneric(y[n:], x[n:], alpha)
	},
	eluBwd: func(dx, dy, y []float32, alpha float32) {
		n := len(y) &^ 7
		if n > 0 {
			eluBackwardAVX2(&dx[0], &dy[0], &y[0], n, alpha)
		}
		eluBackwardGeneric(dx[n:], dy[n:], y[n:], alpha)
	},
})

var avx512Impl = register(&impl{
	name:     "avx512",
	rank:     20,
	features: []string{"AVX", "AVX512F"},
	missing:  func() string { return missingFeatures(cpuid.AVX, cpuid.AVX512F) },
	sgemm:    &gemmImpl[float32]{mr: avx512MR, nr: avx512NR, kernel: sgemmKernelAVX512, half: sgemmHalfAVX512, rows: sgemmRowsAVX512, rowsHalf: sgemmRowsHalfAVX512, pair: sgemmPairAVX512, dot: sdotKernelAVX512, pack8: pack8AVX, gather: sgemmGatherAVX512},
	dgemm:    &gemmImpl[float64]{mr: avx512DMR, nr: avx512DNR, kernel: dgemmKernelAVX512, half: dgemmHalfAVX512},
	eluFwd:   func(y, x []float32, alpha float32) { eluForwardAVX512(&y[0], &x[0], len(x), alpha) },
	eluBwd:   func(dx, dy, y []float32, alpha float32) { eluBackwardAVX512(&dx[0], &dy[0], &y[0], len(y), alpha) },
})

func init() {
	avx2Impl.normal, avx2Impl.noisyStep = vectorNoise(normalAVX2, noisyStepAVX2)
	avx2Impl.adam = vectorAdam(adamAVX2, 8)
	avx512Impl.adam = vectorAdam(adamAVX512, 16)
	avx2Impl.add = vectorAdd(addAVX2, 8)
	avx512Impl.add = vectorAdd(addAVX512, 16)
	avx512Impl.normal, avx512Impl.noisyStep = vectorNoise(normalAVX512, noisyStepAVX512)
}
