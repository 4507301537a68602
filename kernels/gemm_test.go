package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refSgemm is the scalar reference: the definition of the product, summed in
// float64. It also returns, per element, the bound on the rounding error a
// float32 evaluation may make: sum of |alpha*a*b| over k plus |beta*c|.
func refSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (out, mag []float64) {
	out = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			r := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			out[i*n+j], mag[i*n+j] = r, g
		}
	}
	return out, mag
}

const sentinel = float32(-7777.25)

// operand is a stored matrix of rows x cols with stride cols+pad, surrounded
// by sentinel guards, so writes outside it can be detected.
type operand struct {
	buf        []float32
	off, ld    int
	rows, cols int
}

const guard = 19

func newOperand(rng *rand.Rand, rows, cols, pad int) *operand {
	ld := max(1, cols+pad)
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	o := &operand{buf: make([]float32, n+2*guard), off: guard, ld: ld, rows: rows, cols: cols}
	for i := range o.buf {
		o.buf[i] = sentinel
	}
	for i := range rows {
		for j := range cols {
			o.buf[guard+i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return o
}

func (o *operand) data() []float32 { return o.buf[o.off : len(o.buf)-guard] }

// checkGuards fails if anything outside the rows x cols view changed.
func (o *operand) checkGuards(t *testing.T, what string) {
	t.Helper()
	inside := func(idx int) bool {
		idx -= o.off
		if idx < 0 || o.rows == 0 || o.cols == 0 {
			return false
		}
		i, j := idx/o.ld, idx%o.ld
		return i < o.rows && j < o.cols
	}
	for idx, v := range o.buf {
		if !inside(idx) && v != sentinel {
			t.Fatalf("%s: element %d outside the matrix was overwritten with %v", what, idx-o.off, v)
		}
	}
}

type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	pad         int
}

func (g gemmCase) String() string {
	form := map[[2]bool]string{{false, false}: "NN", {false, true}: "NT", {true, false}: "TN", {true, true}: "TT"}[[2]bool{g.tA, g.tB}]
	return fmt.Sprintf("%s/%dx%dx%d/alpha=%g/beta=%g/pad=%d", form, g.m, g.k, g.n, g.alpha, g.beta, g.pad)
}

// runGemmCase checks one product against the reference: values within
// rounding (|err| <= 2k*eps*magnitude), guards intact, inputs unchanged.
func runGemmCase(t *testing.T, im *impl, g gemmCase, rng *rand.Rand) {
	t.Helper()
	ar, ac := g.m, g.k
	if g.tA {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.tB {
		br, bc = g.n, g.k
	}
	A := newOperand(rng, ar, ac, g.pad)
	B := newOperand(rng, br, bc, g.pad+1)
	C := newOperand(rng, g.m, g.n, g.pad+2)
	if g.beta == 0 {
		// C must not be read when beta is 0: NaN there must not leak.
		for i := range g.m {
			for j := range g.n {
				C.buf[C.off+i*C.ld+j] = float32(math.NaN())
			}
		}
	}
	a0 := append([]float32(nil), A.buf...)
	b0 := append([]float32(nil), B.buf...)
	want, mag := refSgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, A.data(), A.ld, B.data(), B.ld, g.beta, C.data(), C.ld)
	require.NoError(t, checkGemm(g.tA, g.tB, g.m, g.n, g.k, A.data(), A.ld, B.data(), B.ld, C.data(), C.ld))
	gemmWith(im, g.tA, g.tB, g.m, g.n, g.k, g.alpha, A.data(), A.ld, B.data(), B.ld, g.beta, C.data(), C.ld)
	eps := float64(math.Nextafter32(1, 2) - 1)
	for i := range g.m {
		for j := range g.n {
			got := float64(C.buf[C.off+i*C.ld+j])
			tol := 2*float64(g.k+2)*eps*mag[i*g.n+j] + 1e-30
			if d := math.Abs(got - want[i*g.n+j]); !(d <= tol) {
				t.Fatalf("%v: C[%d][%d] = %v, want %v (|diff| %.3g > tol %.3g)", g, i, j, got, want[i*g.n+j], d, tol)
			}
		}
	}
	C.checkGuards(t, g.String()+": C")
	require.Equal(t, a0, A.buf, "%v: A was modified", g)
	require.Equal(t, b0, B.buf, "%v: B was modified", g)
}

// boundaries returns sizes around 0, 1, the tile size and the cache blocks.
func boundaries(tile int, blocks ...int) []int {
	set := map[int]bool{0: true, 1: true, 2: true}
	for _, b := range append([]int{tile, 2 * tile}, blocks...) {
		for d := -1; d <= 1; d++ {
			if b+d >= 0 {
				set[b+d] = true
			}
		}
	}
	var out []int
	for v := range set {
		out = append(out, v)
	}
	return out
}

func TestSgemmMatchesReference(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(1, 2))
		forms := [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}
		scalars := [][2]float32{{1, 0}, {1, 1}, {-0.7, 0.3}, {0, 0.5}, {0, 0}, {2, -1}}
		// Every tile edge in m and n, every scalar pair, every form, small k.
		for _, f := range forms {
			for _, m := range boundaries(im.mr) {
				for _, n := range boundaries(im.nr) {
					for si, s := range scalars {
						k := []int{0, 1, 3, 17}[(m+n+si)%4]
						runGemmCase(t, im, gemmCase{f[0], f[1], m, n, k, s[0], s[1], (m + n) % 3}, rng)
					}
				}
			}
		}
		// Cache-block edges: k around kcBlock, m around mcBlock and the
		// direct-B threshold, n around ncBlock.
		for _, f := range forms {
			for _, k := range boundaries(im.mr, kcBlock, 2*kcBlock) {
				runGemmCase(t, im, gemmCase{f[0], f[1], im.mr + 1, im.nr + 3, k, 1.5, 0.5, 1}, rng)
			}
			for _, m := range []int{directMaxM, directMaxM + 1, mcBlock - 1, mcBlock + 1} {
				runGemmCase(t, im, gemmCase{f[0], f[1], m, 2*im.nr + 1, 40, 1, 1, 3}, rng)
			}
			runGemmCase(t, im, gemmCase{f[0], f[1], 3, ncBlock + im.nr + 1, 9, 1, 0, 0}, rng)
		}
	})
}

// The MLP's own shapes, as nn calls them.
func TestSgemmMLPShapes(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range [][3]int{{64, 784, 512}, {32, 512, 512}, {64, 512, 10}} {
			m, k, n := s[0], s[1], s[2]
			runGemmCase(t, im, gemmCase{false, false, m, n, k, 1, 1, 0}, rng)     // X*W + bias already in C
			runGemmCase(t, im, gemmCase{false, true, m, k, n, 1, 0, 0}, rng)      // dY*W^T
			runGemmCase(t, im, gemmCase{true, false, k, n, m, 1, 0, 0}, rng)      // X^T*dY
			runGemmCase(t, im, gemmCase{true, false, k, n, m, -0.5, 0.9, 0}, rng) // accumulating gradients
		}
	})
}

func TestSgemmParallelMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{256, 512, 512}, {2, 300, 700}, {300, 100, 7}} {
		m, k, n := s[0], s[1], s[2]
		A := newOperand(rng, m, k, 0)
		B := newOperand(rng, k, n, 0)
		C1 := newOperand(rng, m, n, 0)
		C2 := newOperand(rng, m, n, 0)
		copy(C2.buf, C1.buf)
		require.NoError(t, Sgemm(false, false, m, n, k, 1, A.data(), A.ld, B.data(), B.ld, 0.5, C1.data(), C1.ld))
		require.NoError(t, SgemmParallel(3, false, false, m, n, k, 1, A.data(), A.ld, B.data(), B.ld, 0.5, C2.data(), C2.ld))
		require.InDeltaSlice(t, toF64(C1.data()), toF64(C2.data()), 1e-3, "%v", s)
		C2.checkGuards(t, "parallel C")
	}
}

func toF64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func TestSgemmRejectsBadArguments(t *testing.T) {
	a := make([]float32, 6)
	cases := []struct {
		name           string
		m, n, k        int
		lda, ldb, ldc  int
		la, lb, lc     int
		wantArg        string
		transA, transB bool
	}{
		{"negative m", -1, 2, 3, 3, 2, 2, 6, 6, 6, "m", false, false},
		{"lda below k", 2, 2, 3, 2, 2, 2, 6, 6, 6, "lda", false, false},
		{"short a", 2, 2, 3, 3, 2, 2, 5, 6, 6, "len(a)", false, false},
		{"ldb below n for B^T", 2, 2, 3, 3, 2, 2, 6, 6, 6, "ldb", false, true},
		{"short c", 2, 2, 3, 3, 2, 2, 6, 6, 3, "len(c)", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Sgemm(c.transA, c.transB, c.m, c.n, c.k, 1, a[:c.la], c.lda, make([]float32, c.lb), c.ldb, 0, make([]float32, c.lc), c.ldc)
			var ge *GemmError
			require.ErrorAs(t, err, &ge)
			require.Equal(t, c.wantArg, ge.Arg)
		})
	}
	require.NoError(t, Sgemm(false, false, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1), "empty product")
}

func FuzzSgemm(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(7), uint8(0), uint8(1), uint64(1))
	f.Add(uint8(9), uint8(33), uint8(1), uint8(3), uint8(2), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, form, pad uint8, seed uint64) {
		g := gemmCase{form&1 != 0, form&2 != 0, int(m % 70), int(n % 70), int(k), 1, float32(seed%3) * 0.5, int(pad % 4)}
		runGemmCase(t, active.Load(), g, rand.New(rand.NewPCG(seed, 9)))
	})
}

// Narrow products (n <= dotMaxN, op(A) row-major) take the dot-product path
// where an implementation has one: every n, odd m, k around the vector width.
func TestSgemmNarrowProducts(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		for n := 1; n <= dotMaxN+1; n++ {
			for _, m := range []int{1, 2, 3, 5} {
				for _, k := range []int{1, 15, 16, 17, 33, 300} {
					for _, tB := range []bool{false, true} {
						runGemmCase(t, im, gemmCase{false, tB, m, n, k, 0.5, float32(n%3) * 0.5, (m + k) % 3}, rng)
					}
				}
			}
		}
	})
}

// Narrow transposed-A products (the weight gradient of a 10-class layer)
// run as C^T = B^T*A: every n up to the threshold, m around the chunk.
func TestSgemmNarrowTransposedA(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, n := range []int{1, 2, 7, 10, dotMaxN, dotMaxN + 1} {
			for _, m := range []int{2*im.nr - 1, 2 * im.nr, 100, swapChunk + 3} {
				runGemmCase(t, im, gemmCase{true, false, m, n, 33, 1, float32(n%2) * 0.5, 1}, rng)
			}
		}
	})
}
