// Package gonumblas plugs the ebm kernels into gonum: Implementation is
// gonum's native BLAS with Sgemm and Dgemm replaced by kernels.SgemmParallel
// and kernels.DgemmParallel (hand-written AVX-512, AVX2 and NEON, no cgo).
// One line makes every gonum matrix product use them:
//
//	blas64.Use(gonumblas.Implementation{})
//	blas32.Use(gonumblas.Implementation{})
//
// after which mat.Dense.Mul, and everything built on blas64.Gemm, runs on
// the kernels. Every other routine is gonum's own, and so are the products
// where the kernels would be slower: when only the portable Go kernel is
// active (no AVX2, AVX-512 or NEON; the purego build; EBM_KERNELS=generic)
// and gonum runs on its own amd64 assembly (see ownKernels).
//
// It lives in a module of its own so that the ebm module does not depend
// on gonum.
package gonumblas

import (
	"runtime"

	"github.com/ebm-project/ebm/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation satisfies blas.Float32 and blas.Float64.
type Implementation struct {
	gonum.Implementation

	// Workers caps the goroutines one product uses; 0 means GOMAXPROCS,
	// as gonum's native routines do.
	Workers int
}

var (
	_ blas.Float32 = Implementation{}
	_ blas.Float64 = Implementation{}
)

// Dgemm computes C = alpha*op(A)*op(B) + beta*C in float64, as gonum's
// Dgemm does. Invalid arguments panic with gonum's own messages.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	transA, okA := transposed(tA)
	transB, okB := transposed(tB)
	if !ownKernels() || !okA || !okB || kernels.DgemmParallel(impl.workers(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != nil {
		// The kernels refused the arguments without touching C: gonum's
		// routine names the fault in the words gonum's users expect.
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// Sgemm is Dgemm in float32.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, okA := transposed(tA)
	transB, okB := transposed(tB)
	if !ownKernels() || !okA || !okB || kernels.SgemmParallel(impl.workers(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != nil {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// ownKernels reports whether products go to the ebm kernels: unless the
// active set is the portable Go kernel and gonum's own is assembly, which
// is faster there (one core, mat.Dense.Mul 1024^2: gonum's 8.2 GFLOP/s, the
// generic kernel's 5.6). Against gonum's plain Go (its noasm build, or
// another architecture) the generic kernel is the faster (5.3 against 4.1).
func ownKernels() bool { return preferOwn(kernels.Active(), gonumAssembly) }

func preferOwn(active string, gonumAsm bool) bool { return active != genericKernels || !gonumAsm }

// genericKernels is the name of the kernels' portable Go implementation.
const genericKernels = "generic"

func (impl Implementation) workers() int {
	if impl.Workers > 0 {
		return impl.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// transposed maps gonum's flag to the kernels' (ConjTrans is Trans for real
// matrices); ok is false for a value that is none of the three.
func transposed(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}
