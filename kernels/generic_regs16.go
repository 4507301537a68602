//go:build amd64 || 386 || wasm

package kernels

// 16 floating-point registers: the 2x4 tile (generic.go).
const genericMR = 2

func genericKernel[E element](kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E) {
	gemmKernelGeneric2x4(kc, a, aStride, b, bStride, c, ldc, alpha, beta)
}
