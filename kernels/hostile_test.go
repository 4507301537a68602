package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// gemmEntries are the four public GEMM entry points in one precision.
func gemmEntries[E element](serial func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error,
	parallel func(int, bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error) map[string]func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error {
	return map[string]func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error{
		"serial": serial,
		"parallel": func(tA, tB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) error {
			return parallel(2, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		},
	}
}

// A stride so large that (rows-1)*ld + cols wraps around an int must be
// refused, naming the stride, in every entry point and both precisions;
// checked by multiplying first, 12 * 1<<62 + 16 would have passed as 16.
// A stride that fits but reaches past the slice names the slice.
func hugeStridesAreErrors[E element](t *testing.T, entries map[string]func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error) {
	a, b, c := make([]E, 2*13), make([]E, 13*16), make([]E, 2*16)
	cases := []struct {
		name          string
		tA, tB        bool
		lda, ldb, ldc int
		wantArg       string
	}{
		{"NN ldb 1<<62", false, false, 13, 1 << 62, 16, "ldb"},
		{"NN lda 1<<62", false, false, 1 << 62, 16, 16, "len(a)"},
		{"NT ldb 1<<62", false, true, 13, 1 << 62, 16, "ldb"},
		{"NN ldc 1<<62", false, false, 13, 16, 1 << 62, "len(c)"},
		{"NN ldb MaxInt", false, false, 13, math.MaxInt, 16, "ldb"},
		{"NN ldc MaxInt-15", false, false, 13, 16, math.MaxInt - 15, "ldc"},
		{"TN lda MaxInt/12+1", true, false, math.MaxInt/12 + 1, 16, 16, "lda"},
	}
	for name, gemm := range entries {
		for _, cs := range cases {
			t.Run(name+"/"+cs.name, func(t *testing.T) {
				for i := range c {
					c[i] = sentinel
				}
				la, lb := a, b
				if cs.tA {
					la = make([]E, 13*2)
				}
				if cs.tB {
					lb = make([]E, 16*13)
				}
				var ge *GemmError
				err := gemm(cs.tA, cs.tB, 2, 16, 13, 1, la, cs.lda, lb, cs.ldb, 0, c, cs.ldc)
				require.ErrorAs(t, err, &ge)
				require.Equal(t, cs.wantArg, ge.Arg, "%v", err)
				for i, v := range c {
					require.Equal(t, E(sentinel), v, "C[%d] written by a refused call", i)
				}
			})
		}
	}
}

func TestGemmHugeStridesAreErrors(t *testing.T) {
	t.Run("sgemm", func(t *testing.T) { hugeStridesAreErrors(t, gemmEntries(Sgemm, SgemmParallel)) })
	t.Run("dgemm", func(t *testing.T) { hugeStridesAreErrors(t, gemmEntries(Dgemm, DgemmParallel)) })
}

// C sharing memory with A or B would be read after it is written: refused,
// naming the operand, wherever the ranges meet; disjoint parts of one
// buffer are fine.
func overlapIsAnError[E element](t *testing.T, entries map[string]func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error) {
	const n = 64
	for name, gemm := range entries {
		t.Run(name, func(t *testing.T) {
			buf := make([]E, 3*n*n)
			for i := range buf {
				buf[i] = E(i%7) - 3
			}
			a, b := buf[:n*n], buf[n*n:2*n*n]
			err := gemm(false, false, n, n, n, 1, a, n, b, n, 0, a, n)
			require.ErrorContains(t, err, "C overlaps A")
			err = gemm(false, false, n, n, n, 1, a, n, b, n, 0, buf[2*n*n-1:], n)
			require.ErrorContains(t, err, "C overlaps B", "the last element of B is C's first")
			err = gemm(true, true, n, n, n, 1, a, n, b, n, 1, buf[n*n/2:], n)
			require.ErrorContains(t, err, "C overlaps A")
			require.NoError(t, gemm(false, false, n, n, n, 1, a, n, b, n, 0, buf[2*n*n:], n), "C after A and B in one buffer")
		})
	}
}

func TestGemmOverlapIsAnError(t *testing.T) {
	t.Run("sgemm", func(t *testing.T) { overlapIsAnError(t, gemmEntries(Sgemm, SgemmParallel)) })
	t.Run("dgemm", func(t *testing.T) { overlapIsAnError(t, gemmEntries(Dgemm, DgemmParallel)) })
}

func TestTransposeRefusesHugeStridesAndOverlap(t *testing.T) {
	s, d := make([]float32, 64), make([]float32, 64)
	require.ErrorContains(t, Transpose(2, 4, s, 1<<62, d, 2), "len(src) = 64")
	require.ErrorContains(t, Transpose(2, 4, s, 4, d, math.MaxInt), "len(dst) = 64")
	require.ErrorContains(t, Transpose(math.MaxInt, 1, s, 1, d, math.MaxInt), "len(src)")
	require.ErrorContains(t, Transpose(4, 4, s, 4, s[8:], 4), "overlap")
	require.NoError(t, Transpose(4, 4, s, 4, s[16:], 4))
}

// FuzzGemmArguments draws every size and stride from the whole int range
// (the seeds include values near MaxInt) against slices of at most a few
// thousand elements. A call must be refused with an error, or compute
// exactly the reference product (small integers: every sum is exact); it
// never panics and never writes outside C's m x n view.
func FuzzGemmArguments(f *testing.F) {
	f.Add(2, 16, 13, 13, 1<<62, 16, uint16(26), uint16(208), uint16(32), uint8(0), uint64(1))
	f.Add(3, 5, 7, 7, 5, 5, uint16(21), uint16(35), uint16(15), uint8(3), uint64(2))
	f.Add(math.MaxInt, 1, 0, 1, 1, 1, uint16(100), uint16(100), uint16(100), uint8(0), uint64(3))
	f.Add(0, 0, math.MaxInt, math.MaxInt, math.MaxInt, 1, uint16(0), uint16(0), uint16(0), uint8(5), uint64(4))
	f.Add(2, math.MaxInt/2+1, 1, 1, math.MaxInt/2+1, math.MaxInt/2+1, uint16(10), uint16(10), uint16(10), uint8(1), uint64(5))
	f.Add(-1, 4, 4, 4, 4, 4, uint16(16), uint16(16), uint16(16), uint8(2), uint64(6))
	f.Add(8, 8, 8, math.MinInt, 8, 8, uint16(64), uint16(64), uint16(64), uint8(6), uint64(7))
	f.Fuzz(func(t *testing.T, m, n, k, lda, ldb, ldc int, la, lb, lc uint16, flags uint8, seed uint64) {
		tA, tB, par := flags&1 != 0, flags&2 != 0, flags&4 != 0
		lim := func(l uint16) int { return int(l % 4096) }
		rng := rand.New(rand.NewPCG(seed, 11))
		if flags&8 != 0 {
			fuzzOne[float32](t, rng, tA, tB, par, m, n, k, lda, ldb, ldc, lim(la), lim(lb), lim(lc))
		} else {
			fuzzOne[float64](t, rng, tA, tB, par, m, n, k, lda, ldb, ldc, lim(la), lim(lb), lim(lc))
		}
	})
}

func fuzzOne[E element](t *testing.T, rng *rand.Rand, tA, tB, par bool, m, n, k, lda, ldb, ldc, la, lb, lc int) {
	ints := func(n int) []E {
		s := make([]E, n)
		for i := range s {
			s[i] = E(rng.IntN(9) - 4)
		}
		return s
	}
	a, b := ints(la), ints(lb)
	cbuf := ints(lc + 2*guard)
	c := cbuf[guard : guard+lc]
	a0, b0, c0 := append([]E(nil), a...), append([]E(nil), b...), append([]E(nil), cbuf...)
	alpha, beta := E(rng.IntN(3)-1), E(rng.IntN(3)-1)
	var err error
	var ref func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error
	var zero E
	switch any(zero).(type) {
	case float32:
		ref = any(Sgemm).(func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error)
		if par {
			err = any(SgemmParallel).(func(int, bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error)(3, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			err = ref(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	case float64:
		ref = any(Dgemm).(func(bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error)
		if par {
			err = any(DgemmParallel).(func(int, bool, bool, int, int, int, E, []E, int, []E, int, E, []E, int) error)(3, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			err = ref(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	}
	require.True(t, slices.Equal(a0, a), "A changed")
	require.True(t, slices.Equal(b0, b), "B changed")
	if err != nil {
		require.True(t, slices.Equal(c0, cbuf), "a refused call wrote C: %v", err)
		return
	}
	if m == 0 || n == 0 {
		require.True(t, slices.Equal(c0, cbuf), "an empty product wrote C")
		return
	}
	want, _ := refGemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c0[guard:guard+lc], ldc)
	for idx := range cbuf {
		i, j := (idx-guard)/max(ldc, 1), (idx-guard)%max(ldc, 1)
		if idx >= guard && idx < guard+lc && i < m && j < n {
			require.Equal(t, E(want[i*n+j]), cbuf[idx], "C[%d][%d]", i, j)
		} else {
			require.Equal(t, c0[idx], cbuf[idx], "element %d outside C's view written", idx-guard)
		}
	}
}
