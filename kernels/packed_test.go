package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// useImpl makes im the active implementation for the rest of t.
func useImpl(t *testing.T, im *impl) {
	prev := Active()
	require.NoError(t, Use(im.name))
	t.Cleanup(func() { require.NoError(t, Use(prev)) })
}

// rowMajor returns op(B) of the stored B as a k x n row-major matrix.
func rowMajor(B *operand[float32], transB bool, k, n int) []float32 {
	out := make([]float32, k*n)
	for p := range k {
		for j := range n {
			if transB {
				out[p*n+j] = B.data()[j*B.ld+p]
			} else {
				out[p*n+j] = B.data()[p*B.ld+j]
			}
		}
	}
	return out
}

// sameBits fails unless C's storage, guards included, has want's bits.
func sameBits(t *testing.T, want []float32, C *operand[float32], what string) {
	t.Helper()
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(C.buf[i]) {
			t.Fatalf("%s: element %d is %v, want %v", what, i-C.off, C.buf[i], want[i])
		}
	}
}

// A product with packed op(B) is the product with op(B) stored row-major,
// bit for bit: the same tiles see the same values in the same order. Swept
// across every tile edge in m and n, the k blocks, the direct-B row limit,
// the row and column blocks, both storages of B and every scalar pair; C's
// guards stay intact and A and B unchanged.
func TestSgemmPackedIsTheProductBitForBit(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		useImpl(t, im)
		g := im.sgemm
		rng := rand.New(rand.NewPCG(3, 4))
		type shape struct{ m, n, k int }
		var shapes []shape
		for _, m := range boundaries(g.mr, 32) {
			for _, n := range append(boundaries(g.nr), g.nr/2, g.nr+g.nr/2, dotMaxN, dotMaxN+1) {
				shapes = append(shapes, shape{m, n, []int{1, 17, 64, 70}[(m+n)%4]})
			}
		}
		for _, k := range boundaries(g.mr, kcBlock, 2*kcBlock) {
			shapes = append(shapes, shape{g.mr + 1, g.nr + 3, k})
		}
		for _, m := range []int{directMaxM, directMaxM + 1, mcBlock + 1} {
			shapes = append(shapes, shape{m, directMaxN + 1, 40}, shape{m, 2*g.nr + 1, 300})
		}
		shapes = append(shapes, shape{3, ncBlock + g.nr + 1, 9}, shape{32, 784, 512}, shape{0, 5, 5}, shape{5, 5, 0})
		scalars := [][2]float32{{1, 0}, {1, 1}, {-0.7, 0.3}, {0, 0.5}}
		for si, s := range shapes {
			for _, transB := range []bool{false, true} {
				alpha, beta := scalars[si%4][0], scalars[si%4][1]
				br, bc := stored(transB, s.k, s.n)
				A := newOperand[float32](rng, s.m, s.k, 1)
				B := newOperand[float32](rng, br, bc, 2)
				C := newOperand[float32](rng, s.m, s.n, 3)
				want := append([]float32(nil), C.buf...)
				a0, b0 := append([]float32(nil), A.buf...), append([]float32(nil), B.buf...)
				name := fmt.Sprintf("%dx%dx%d transB=%v", s.m, s.k, s.n, transB)

				var p PackedB
				require.NoError(t, p.Pack(transB, s.k, s.n, B.data(), B.ld), name)
				opB := rowMajor(B, transB, s.k, s.n)
				require.NoError(t, Sgemm(false, false, s.m, s.n, s.k, alpha, A.data(), A.ld, opB, max(1, s.n), beta, want[C.off:len(want)-guard], C.ld), name)
				require.NoError(t, SgemmPacked(s.m, alpha, A.data(), A.ld, &p, beta, C.data(), C.ld), name)
				sameBits(t, want, C, name+": the product with op(B) row-major")
				C.checkGuards(t, name)
				require.Equal(t, a0, A.buf, "%s: A was modified", name)
				require.Equal(t, b0, B.buf, "%s: B was modified", name)
			}
		}
	})
}

// Packing in parts, in any order, fills the same panels as packing whole.
func TestPackedBPartsFillTheSamePanels(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range [][2]int{{300, ncBlock + 3*im.sgemm.nr + 5}, {513, 784}, {5, 1}} {
			k, n := s[0], s[1]
			for _, transB := range []bool{false, true} {
				rows, cols := stored(transB, k, n)
				B := newOperand[float32](rng, rows, cols, 0)
				var whole, split PackedB
				require.NoError(t, whole.reset(im.sgemm, transB, k, n, B.data(), B.ld))
				require.NoError(t, whole.PackPart(0, 1))
				require.NoError(t, split.reset(im.sgemm, transB, k, n, B.data(), B.ld))
				for _, part := range []int{4, 0, 6, 2, 1, 5, 3} {
					require.NoError(t, split.PackPart(part, 7))
				}
				require.Equal(t, whole.panels, split.panels, "%dx%d transB=%v", k, n, transB)
			}
		}
	})
}

// Panels packed for one implementation are not read by another: the
// product then runs on B where it lies, and is still the product.
func TestSgemmPackedAfterAnotherImplementationIsUsed(t *testing.T) {
	useImpl(t, lookup("generic"))
	rng := rand.New(rand.NewPCG(9, 10))
	const m, n, k = 13, 70, 90
	A := newOperand[float32](rng, m, k, 0)
	B := newOperand[float32](rng, n, k, 0)
	var p PackedB
	require.NoError(t, p.Pack(true, k, n, B.data(), B.ld))
	forEachImpl(t, func(t *testing.T, im *impl) {
		useImpl(t, im)
		C := newOperand[float32](rng, m, n, 0)
		want, mag := refGemm(false, true, m, n, k, 1, A.data(), A.ld, B.data(), B.ld, 0, C.data(), C.ld)
		require.NoError(t, SgemmPacked(m, 1, A.data(), A.ld, &p, 0, C.data(), C.ld))
		for i := range m * n {
			require.InDelta(t, want[i], float64(C.data()[i/n*C.ld+i%n]), 2*(k+2)*epsilon[float32]()*mag[i]+1e-30)
		}
	})
}

func TestPackedBRejectsBadArguments(t *testing.T) {
	b := make([]float32, 12)
	c := make([]float32, 12)
	var empty PackedB
	require.ErrorIs(t, SgemmPacked(2, 1, b, 6, &empty, 0, c, 6), errNotReset)
	require.ErrorIs(t, SgemmPacked(2, 1, b, 6, nil, 0, c, 6), errNotReset)
	require.ErrorIs(t, empty.PackPart(0, 1), errNotReset)

	var p PackedB
	require.ErrorContains(t, p.Pack(false, -1, 3, b, 3), "negative dimension")
	require.ErrorContains(t, p.Pack(false, 5, 3, b, 3), "slice too short")
	require.ErrorContains(t, p.Pack(true, 3, 5, b, 2), "stride below row length")
	require.ErrorContains(t, p.Pack(false, 3, 2, b, math.MaxInt/2), "more elements than an int")
	require.ErrorContains(t, p.Pack(false, 0, math.MaxInt, nil, math.MaxInt), "more elements than an int")
	// A 0 x n matrix is empty whatever n: packing it is done at once.
	require.NoError(t, p.Pack(false, 0, math.MaxInt/2, nil, math.MaxInt))
	require.ErrorContains(t, p.Pack(true, 1, math.MaxInt/2, b, 1), "slice too short")

	require.NoError(t, p.Pack(false, 4, 3, b, 3))
	require.ErrorContains(t, p.PackPart(2, 2), "part 2 of 2")
	require.ErrorContains(t, p.PackPart(-1, 2), "part -1 of 2")
	require.ErrorContains(t, p.PackPart(0, 0), "part 0 of 0")
	// A is 2 x 4, C 2 x 3: a short A, a short C and C on B's storage.
	require.ErrorContains(t, SgemmPacked(2, 1, make([]float32, 7), 4, &p, 0, c, 3), "len(a)")
	require.ErrorContains(t, SgemmPacked(2, 1, make([]float32, 8), 4, &p, 0, c[:5], 3), "len(c)")
	require.ErrorContains(t, SgemmPacked(2, 1, make([]float32, 8), 4, &p, 0, b, 3), "C overlaps B")
}

// Packing again at the same size and the products that follow allocate
// nothing: a training step repacks its weights every step.
func TestPackedBWarmAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, n, k = 32, 300, 200
	A := newOperand[float32](rng, m, k, 0)
	B := newOperand[float32](rng, n, k, 0)
	C := newOperand[float32](rng, m, n, 0)
	var p PackedB
	run := func() {
		if err := p.Pack(true, k, n, B.data(), B.ld); err != nil {
			panic(err)
		}
		if err := SgemmPacked(m, 1, A.data(), A.ld, &p, 0, C.data(), C.ld); err != nil {
			panic(err)
		}
	}
	run()
	require.Zero(t, allocs.PerRun(10, run))
}
