package kernels

import (
	"math"
	"unsafe"
)

// The generic implementation is pure Go: always compiled, the only one in a
// purego build, and the reference the assembly is checked against.
var genericImpl = register(&impl{
	name:    "generic",
	rank:    0,
	missing: func() string { return "" },
	sgemm:   &gemmImpl[float32]{mr: genericMR, nr: 4, kernel: genericKernel[float32]},
	dgemm:   &gemmImpl[float64]{mr: genericMR, nr: 4, kernel: genericKernel[float64]},
	eluFwd:  eluForwardGeneric,
	eluBwd:  eluBackwardGeneric,

	adam:      adamGeneric,
	add:       addGeneric,
	normal:    normalGeneric,
	noisyStep: noisyStepGeneric,
})

func at[E element](p *E, off uintptr) *E { return (*E)(unsafe.Add(unsafe.Pointer(p), off)) }

// gemmKernelGeneric is the 4x4 micro-kernel in Go, for machines with 32
// floating-point registers (arm64, riscv64, ...): sixteen scalar
// accumulators and eight operands stay in registers.
func gemmKernelGeneric[E element](kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 E
	for p := 0; p < kc; p++ {
		// Offsets from the base, so no pointer is formed past the panels.
		ap := (*[4]E)(unsafe.Pointer(at(a, uintptr(p)*aStride)))
		bp := (*[4]E)(unsafe.Pointer(at(b, uintptr(p)*bStride)))
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]E{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i, r := range acc {
		storeRow(at(c, uintptr(i)*ldc), r, alpha, beta)
	}
}

// gemmKernelGeneric2x4 is the 2x4 micro-kernel in Go, for machines with
// 16 floating-point registers (amd64, 386, wasm): eight accumulators and
// six operands fit where the 4x4 tile's would spill to the stack on every
// step of k. Each element of C sums its products in the same order as the
// 4x4 kernel's, so both give the same bits.
//
// The loop is unrolled by four because Go's scheduler places a value used
// only by the loop's phis (here each step's sums) after everything used in
// the block: rolled, every step computed its eight products before adding
// any and spilled three of them. Unrolled, three steps of four add as they
// go (their sums feed the next step); twice the speed on amd64, 1.5x as
// WebAssembly (docs in bench/README.md).
func gemmKernelGeneric2x4[E element](kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E) {
	var c00, c01, c02, c03, c10, c11, c12, c13 E
	p := 0
	for ; p+4 <= kc; p += 4 {
		// Offsets from the base, so no pointer is formed past the panels.
		ap0, bp0 := (*[2]E)(unsafe.Pointer(at(a, uintptr(p+0)*aStride))), (*[4]E)(unsafe.Pointer(at(b, uintptr(p+0)*bStride)))
		ap1, bp1 := (*[2]E)(unsafe.Pointer(at(a, uintptr(p+1)*aStride))), (*[4]E)(unsafe.Pointer(at(b, uintptr(p+1)*bStride)))
		ap2, bp2 := (*[2]E)(unsafe.Pointer(at(a, uintptr(p+2)*aStride))), (*[4]E)(unsafe.Pointer(at(b, uintptr(p+2)*bStride)))
		ap3, bp3 := (*[2]E)(unsafe.Pointer(at(a, uintptr(p+3)*aStride))), (*[4]E)(unsafe.Pointer(at(b, uintptr(p+3)*bStride)))
		a0, a1 := ap0[0], ap0[1]
		c00, c10 = c00+a0*bp0[0], c10+a1*bp0[0]
		c01, c11 = c01+a0*bp0[1], c11+a1*bp0[1]
		c02, c12 = c02+a0*bp0[2], c12+a1*bp0[2]
		c03, c13 = c03+a0*bp0[3], c13+a1*bp0[3]
		a0, a1 = ap1[0], ap1[1]
		c00, c10 = c00+a0*bp1[0], c10+a1*bp1[0]
		c01, c11 = c01+a0*bp1[1], c11+a1*bp1[1]
		c02, c12 = c02+a0*bp1[2], c12+a1*bp1[2]
		c03, c13 = c03+a0*bp1[3], c13+a1*bp1[3]
		a0, a1 = ap2[0], ap2[1]
		c00, c10 = c00+a0*bp2[0], c10+a1*bp2[0]
		c01, c11 = c01+a0*bp2[1], c11+a1*bp2[1]
		c02, c12 = c02+a0*bp2[2], c12+a1*bp2[2]
		c03, c13 = c03+a0*bp2[3], c13+a1*bp2[3]
		a0, a1 = ap3[0], ap3[1]
		c00, c10 = c00+a0*bp3[0], c10+a1*bp3[0]
		c01, c11 = c01+a0*bp3[1], c11+a1*bp3[1]
		c02, c12 = c02+a0*bp3[2], c12+a1*bp3[2]
		c03, c13 = c03+a0*bp3[3], c13+a1*bp3[3]
	}
	for ; p < kc; p++ {
		ap0, bp0 := (*[2]E)(unsafe.Pointer(at(a, uintptr(p)*aStride))), (*[4]E)(unsafe.Pointer(at(b, uintptr(p)*bStride)))
		a0, a1 := ap0[0], ap0[1]
		c00, c10 = c00+a0*bp0[0], c10+a1*bp0[0]
		c01, c11 = c01+a0*bp0[1], c11+a1*bp0[1]
		c02, c12 = c02+a0*bp0[2], c12+a1*bp0[2]
		c03, c13 = c03+a0*bp0[3], c13+a1*bp0[3]
	}
	acc := [2][4]E{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
	for i, r := range acc {
		storeRow(at(c, uintptr(i)*ldc), r, alpha, beta)
	}
}

// storeRow writes one row of a tile: C = alpha*acc + beta*C, C not read
// when beta is 0 (BLAS semantics).
func storeRow[E element](c *E, acc [4]E, alpha, beta E) {
	row := (*[4]E)(unsafe.Pointer(c))
	for j, v := range acc {
		if beta == 0 {
			row[j] = alpha * v
		} else {
			row[j] = alpha*v + beta*row[j]
		}
	}
}

// eluForwardGeneric: y = x for x > 0, alpha*(e^x - 1) otherwise, with
// e^x - 1 from float64 Expm1 so that it is exact to float32 rounding.
func eluForwardGeneric(y, x []float32, alpha float32) {
	y = y[:len(x)]
	for i, v := range x {
		if v > 0 || v != v {
			y[i] = v
		} else {
			y[i] = alpha * float32(math.Expm1(float64(v)))
		}
	}
}

// eluBackwardGeneric: dx = dy * (1 if y > 0 else y + alpha). For alpha > 0
// ELU is increasing with y > 0 exactly when x > 0, so y alone decides, and
// e^x*alpha = y + alpha is the slope on the negative side.
func eluBackwardGeneric(dx, dy, y []float32, alpha float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = dy[i] * (v + alpha)
		}
	}
}
