package kernels

import (
	"fmt"
)

// element is a type the GEMM routines take: float32 (Sgemm) or
// float64 (Dgemm).
type element interface{ float32 | float64 }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(A) is m x k and op(B) is k x n: op(X) = X, or X^T when
// transX is true (then X is stored transposed: k x m for A, n x k for B).
// lda, ldb and ldc are the row strides of the stored matrices. beta == 0
// means C is only written, so NaN or Inf already in C does not leak into the
// result. C must not share memory with A or B (it is written while they
// are read): an overlap of their address ranges is a *GemmError.
//
// The forms an MLP uses: forward X*W (false, false), input gradient dY*W^T
// (false, true), weight gradient X^T*dY (true, false).
//
// Sgemm runs on the calling goroutine only; see SgemmParallel.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return gemm(active.Load().sgemm, "sgemm", transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm in float64: C = alpha*op(A)*op(B) + beta*C, row-major,
// on the calling goroutine; see DgemmParallel.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	return gemm(active.Load().dgemm, "dgemm", transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmParallel is Sgemm split across up to workers goroutines, by column
// blocks of C (or row blocks when C is narrow). Call it from outside any
// worker pool: inside one, use Sgemm so the pool stays the single owner of
// the cores.
func SgemmParallel(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return gemmParallel(active.Load().sgemm, "sgemm", workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// DgemmParallel is Dgemm split across up to workers goroutines, as
// SgemmParallel splits Sgemm.
func DgemmParallel(workers int, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	return gemmParallel(active.Load().dgemm, "dgemm", workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemm[E element](g *gemmImpl[E], routine string, transA, transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) error {
	if err := checkGemm(routine, transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	gemmWith(g, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}

// parallelMinFlops: below this many flops a product runs on one goroutine;
// starting the others would cost more than they save.
const parallelMinFlops = 4e6

func gemmParallel[E element](g *gemmImpl[E], routine string, workers int, transA, transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) error {
	if err := checkGemm(routine, transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	parts := splitRange(n, workers, g.nr)
	byRows := false
	if len(parts) < 2 {
		parts = splitRange(m, workers, g.mr)
		byRows = true
	}
	if len(parts) < 2 || 2.0*float64(m)*float64(n)*float64(k) < parallelMinFlops {
		gemmWith(g, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return nil
	}
	pending := &pendingParts{done: make(chan struct{}, 1)}
	pending.left.Store(int32(len(parts) - 1))
	var first func()
	for i, r := range parts {
		part := func() {
			if byRows {
				aOff := r[0] * lda
				if transA {
					aOff = r[0]
				}
				gemmWith(g, transA, transB, r[1]-r[0], n, k, alpha, a[aOff:], lda, b, ldb, beta, c[r[0]*ldc:], ldc)
			} else {
				bOff := r[0]
				if transB {
					bOff = r[0] * ldb
				}
				gemmWith(g, transA, transB, m, r[1]-r[0], k, alpha, a, lda, b[bOff:], ldb, beta, c[r[0]:], ldc)
			}
		}
		if i == 0 {
			first = part // the caller's own, once the others are handed out
			continue
		}
		runPart(part, pending)
	}
	first()
	pending.wait()
	return nil
}

// splitRange cuts [0,n) into at most parts ranges whose inner edges fall on
// multiples of unit; it returns fewer when n is too small to share.
func splitRange(n, parts, unit int) [][2]int {
	units := (n + unit - 1) / unit
	if parts > units {
		parts = units
	}
	if parts < 1 {
		parts = 1
	}
	out := make([][2]int, 0, parts)
	lo := 0
	for p := range parts {
		hi := min(n, (units*(p+1)/parts)*unit)
		if hi > lo {
			out = append(out, [2]int{lo, hi})
		}
		lo = hi
	}
	return out
}

// GemmError describes an Sgemm or Dgemm argument that does not fit.
type GemmError struct {
	Routine string // "sgemm" or "dgemm"
	Arg     string // "m", "lda", "a", ...
	Value   int
	Reason  string
}

func (e *GemmError) Error() string {
	return fmt.Sprintf("kernels: %s: %s = %d: %s", e.Routine, e.Arg, e.Value, e.Reason)
}

func checkGemm[E element](routine string, transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int) error {
	for _, d := range []struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}} {
		if d.v < 0 {
			return &GemmError{routine, d.name, d.v, "negative dimension"}
		}
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	na, err := checkMatrix(routine, "len(a)", a, "lda", lda, ar, ac)
	if err != nil {
		return err
	}
	nb, err := checkMatrix(routine, "len(b)", b, "ldb", ldb, br, bc)
	if err != nil {
		return err
	}
	nc, err := checkMatrix(routine, "len(c)", c, "ldc", ldc, m, n)
	if err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil // C is empty: nothing is written, nothing can be overwritten
	}
	if overlap(c, nc, a, na) {
		return &GemmError{routine, "len(c)", len(c), "C overlaps A: C is written while A is read, so they must not share memory"}
	}
	if overlap(c, nc, b, nb) {
		return &GemmError{routine, "len(c)", len(c), "C overlaps B: C is written while B is read, so they must not share memory"}
	}
	return nil
}

// checkMatrix checks that s holds a rows x cols matrix with row stride ld
// and returns the number of elements it spans.
func checkMatrix[E element](routine, name string, s []E, ldName string, ld, rows, cols int) (int, error) {
	if ld < max(1, cols) {
		return 0, &GemmError{routine, ldName, ld, fmt.Sprintf("stride below row length %d", cols)}
	}
	need, ok := span(rows, cols, ld)
	if !ok {
		return 0, &GemmError{routine, ldName, ld, fmt.Sprintf("a %dx%d matrix with this stride spans more elements than an int counts", rows, cols)}
	}
	if len(s) < need {
		return 0, &GemmError{routine, name, len(s), fmt.Sprintf("slice too short for %dx%d with stride %d (needs %d)", rows, cols, ld, need)}
	}
	return need, nil
}
