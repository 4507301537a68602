package gonumblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/kernels"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/blas/testblas"
)

// gonum's own conformance suite for Dgemm: every case in all four forms,
// inputs unchanged.
func TestGonumDgemmSuite(t *testing.T) {
	testblas.TestDgemm(t, Implementation{})
}

var forms = []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}

// shapes crosses the kernels' tile and block edges and gonum's own
// block size, with strides wider than the rows.
var shapes = [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 784, 512}, {130, 257, 65}, {9, 1030, 3}}

// Products agree with gonum's native ones to within float rounding, in every
// form, with padded strides, alpha and beta, and C's padding untouched.
func TestGemmAgreesWithNative(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tA := range forms {
		for _, tB := range forms {
			for _, s := range shapes {
				m, k, n := s[0], s[1], s[2]
				name := fmt.Sprintf("%c%c/%dx%dx%d", tA, tB, m, k, n)
				t.Run(name+"/dgemm", func(t *testing.T) {
					agree(t, rng, gonum.Implementation{}.Dgemm, Implementation{}.Dgemm, tA, tB, m, k, n, 1e-15)
				})
				t.Run(name+"/sgemm", func(t *testing.T) {
					agree(t, rng, gonum.Implementation{}.Sgemm, Implementation{}.Sgemm, tA, tB, m, k, n, 1e-6)
				})
			}
		}
	}
}

// gemm is the signature of gonum's Sgemm and Dgemm.
type gemm[E float32 | float64] func(tA, tB blas.Transpose, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int)

// agree runs one product through gonum's routine and ours on the same
// operands and compares the results.
func agree[E float32 | float64](t *testing.T, rng *rand.Rand, native, ours gemm[E], tA, tB blas.Transpose, m, k, n int, eps float64) {
	a, lda := operand[E](rng, tA, m, k)
	b, ldb := operand[E](rng, tB, k, n)
	c, ldc := operand[E](rng, blas.NoTrans, m, n)
	want := append([]E(nil), c...)
	native(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.3, want, ldc)
	ours(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.3, c, ldc)
	requireClose(t, want, c, k, eps)
}

// operand returns op(X) of rows x cols stored as tr says, its stride two
// wider than a row.
func operand[E float32 | float64](rng *rand.Rand, tr blas.Transpose, rows, cols int) ([]E, int) {
	if tr != blas.NoTrans {
		rows, cols = cols, rows
	}
	ld := cols + 2
	x := make([]E, rows*ld)
	for i := range x {
		x[i] = E(rng.NormFloat64())
	}
	return x, ld
}

// requireClose: each element within k*eps*scale of gonum's; the padding,
// which neither side may write, is equal exactly.
func requireClose[E float32 | float64](t *testing.T, want, got []E, k int, eps float64) {
	t.Helper()
	for i := range want {
		tol := float64(k+2) * eps * (1 + math.Sqrt(float64(k)))
		if d := math.Abs(float64(want[i]) - float64(got[i])); !(d <= tol) {
			t.Fatalf("element %d: got %v, gonum %v (|diff| %.3g > %.3g)", i, got[i], want[i], d, tol)
		}
	}
}

// Bad arguments panic as gonum's routines do, with the same message.
func TestBadArgumentsPanicAsGonum(t *testing.T) {
	a, b, c := make([]float64, 12), make([]float64, 12), make([]float64, 12)
	for _, bad := range []struct {
		name       string
		tA         blas.Transpose
		m, n, k    int
		lda, ldc   int
		lenA, lenC int
	}{
		{"transpose", 'X', 2, 2, 2, 2, 2, 12, 12},
		{"negative m", blas.NoTrans, -1, 2, 2, 2, 2, 12, 12},
		{"lda below k", blas.NoTrans, 2, 2, 3, 2, 2, 12, 12},
		{"short a", blas.NoTrans, 3, 2, 4, 4, 2, 11, 12},
		{"short c", blas.NoTrans, 3, 2, 2, 2, 2, 12, 5},
		// Strides whose extent wraps around an int: gonum refuses them
		// safely, and so must the adapter (not panic inside the kernels).
		{"lda 1<<62", blas.NoTrans, 2, 2, 2, 1 << 62, 2, 12, 12},
		{"lda MaxInt, A transposed", blas.Trans, 2, 2, 3, math.MaxInt, 2, 12, 12},
		{"ldc MaxInt-1", blas.NoTrans, 3, 2, 2, 2, math.MaxInt - 1, 12, 12},
	} {
		t.Run(bad.name, func(t *testing.T) {
			call := func(f func(blas.Transpose, blas.Transpose, int, int, int, float64, []float64, int, []float64, int, float64, []float64, int)) any {
				return recoverPanic(func() {
					f(bad.tA, blas.NoTrans, bad.m, bad.n, bad.k, 1, a[:bad.lenA], bad.lda, b, 2, 0, c[:bad.lenC], bad.ldc)
				})
			}
			want := call(gonum.Implementation{}.Dgemm)
			require.NotNil(t, want, "gonum accepts this case")
			require.Equal(t, want, call(Implementation{}.Dgemm))
		})
	}
}

func recoverPanic(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// Products go to the ebm kernels unless those are the portable Go kernel
// and gonum's own routines are assembly: there gonum is the faster (one
// core, 1024^2: 8.1 against 5.5 GFLOP/s), and the adapter must never slow
// gonum down. Against gonum's plain Go the portable kernel wins (5.3
// against 4.1).
func TestProductsGoWhereTheyRunFaster(t *testing.T) {
	for _, c := range []struct {
		active   string
		gonumAsm bool
		own      bool
	}{
		{"avx512", true, true}, {"avx2", true, true}, {"neon", false, true},
		{"generic", false, true}, {"generic", true, false},
	} {
		require.Equal(t, c.own, preferOwn(c.active, c.gonumAsm), "%+v", c)
	}
	require.Contains(t, kernels.Names(), genericKernels, "the portable kernel's name")
	require.Equal(t, preferOwn(kernels.Active(), gonumAssembly), ownKernels())
}
