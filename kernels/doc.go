// Package kernels is matrix multiplication in single and double precision
// (SGEMM, DGEMM), the ELU activation and Gaussian noise in pure Go with
// hand-written SIMD assembly and no cgo: what a network's forward and backward
// passes and Langevin dynamics spend their time in, and a GEMM any Go
// program can use at OpenBLAS's speed.
//
// # Use
//
//	err := kernels.Sgemm(false, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc) // C = A*B, float32
//	err := kernels.Dgemm(false, true, m, n, k, 1, a, lda, b, ldb, 1, c, ldc)  // C += A*B^T, float64
//
// Sgemm and Dgemm compute C = alpha*op(A)*op(B) + beta*C on row-major
// slices, op(X) being X or its transpose (all four forms), with any
// strides, as BLAS's xGEMM does in row-major order; they run on the calling
// goroutine, and SgemmParallel and DgemmParallel split a large product over
// several (the caller's among them; the goroutines that ran a part spin for
// 100 µs afterwards, ready for the next product's parts, as BLAS threads
// do). gonum users get them through the adapter in the separate module
// github.com/ebm-project/ebm/gonumblas: blas64.Use(gonumblas.Implementation{}).
// A right factor shared by many products (a layer's weights, over every
// step of a Langevin chain) can be packed once into a PackedB and
// multiplied by with SgemmPacked: the same bits as Sgemm, without packing
// or reading B in place on every call. SgemmGathered multiplies a PackedB
// by a left factor whose rows lie in one array as runs with skips between
// them (Gathered): a convolution's patches in its zero-padded input, read
// where they lie instead of copied out (im2col).
// Transpose transposes a matrix; Adam applies one Adam update in place;
// Add adds one vector onto another (a convolution's input gradient sums its
// patches onto the pixels with it).
// EluForward and EluBackward apply ELU and its derivative. Normal draws
// standard normal values from the counter-based generator Philox4x32-10
// with the Box-Muller transform, any part of a stream on its own; NoisyStep
// is one Langevin step, x - alpha*g + sigma*noise clamped, in one pass.
// Arguments are checked; a bad one is a *GemmError or a plain error, never
// a panic. The checks cannot overflow (a stride of 1<<62 is refused, not
// wrapped into a small extent), and an output sharing memory with an input
// (C with A or B, Transpose's dst with src) is an error.
//
// # Implementations
//
// Each instruction set is an implementation that registers itself at
// start-up (impl.go): generic (pure Go, the reference, always present),
// avx2 (AVX2+FMA), avx512 (AVX-512F) and neon (arm64). The best one the CPU
// supports is used; EBM_KERNELS=name or Use(name) forces another, and
// Describe reports what the CPU offers and what was chosen. The purego
// build tag leaves only generic.
//
// # How a product runs
//
// gemm.go is the API and its argument checks. driver.go cuts C into cache
// blocks in the BLIS order (pack.go packs panels of A and B into
// contiguous, aligned buffers, eight rows at a time with SIMD transposes
// where the implementation has them) and hands each MR x NR tile to the
// implementation's micro-kernel, which keeps the tile in registers for the
// whole k loop. The driver is generic over the element type: float32 and
// float64 share every line of it and differ in their micro-kernels (and in
// float32's extra paths below). Products with at most 16 columns use 2x4
// dot-product kernels instead (an MLP's 10-class output layer), or run as
// C^T = B^T*A when A is transposed. With few rows of A (a Langevin shard
// has 32) whole tiles read A where it lies, and the rows past the last
// whole tile go two at a time through a pair kernel over two panels of B,
// summed as the whole tile sums them: a row of C has the same bits
// whichever tile computes it, so no split of the rows changes a result.
//
// # Generated code
//
// The assembly (*.s) and its Go declarations and tile constants
// (asm_amd64.go, asm_arm64.go) are written by asm/kernelgen: edit the
// generator, then run `go generate ./kernels`; CI fails when the committed
// files differ from what it writes. Every implementation is tested against
// the scalar reference over sizes across every tile and cache-block edge,
// with sentinels around the output and checks that inputs stay untouched.
package kernels

//go:generate go run -C ../asm ./kernelgen -out ../kernels
