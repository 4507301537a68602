//go:build !(amd64 || 386 || wasm)

package kernels

// 32 floating-point registers: the 4x4 tile (generic.go).
const genericMR = 4

func genericKernel[E element](kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E) {
	gemmKernelGeneric(kc, a, aStride, b, bStride, c, ldc, alpha, beta)
}
