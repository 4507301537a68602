package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Philox4x32-10 gives Random123's known answers (its kat_vectors file:
// counter, key, output).
func TestPhiloxKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		ctr    [4]uint32
		k0, k1 uint32
		want   [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, 0, 0, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff, [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0, [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		require.Equal(t, c.want, philox(c.ctr, c.k0, c.k1))
	}
}

// The float32 logarithm and quarter-turn sine and cosine that Box-Muller
// uses are accurate to float32 over their whole domain.
func TestBoxMullerPiecesAreAccurate(t *testing.T) {
	for b := uint32(0); b < 1<<24; b += 977 {
		u := uniform(b << 8)
		require.True(t, u > 0 && u <= 1)
		want := math.Log(float64(u))
		require.InDelta(t, want, float64(logf(u)), 2e-7*math.Max(1, math.Abs(want)), "log(%v)", u)
		s, c := sincos2pi(u)
		ws, wc := math.Sincos(2 * math.Pi * float64(u))
		require.InDelta(t, ws, float64(s), 3e-7, "sin(2pi*%v)", u)
		require.InDelta(t, wc, float64(c), 3e-7, "cos(2pi*%v)", u)
	}
	require.Equal(t, float32(1.0/(1<<25)), uniform(0))
	require.Equal(t, float32(1), uniform(0xffffffff))
}

// draw is n values of one stream.
func draw(im *impl, n int, key uint64, stream uint32, ctr uint64) []float32 {
	x := make([]float32, n)
	im.normal(x, key, stream, ctr)
	return x
}

// The values are standard normal: their moments, and the Kolmogorov-Smirnov
// distance of a million of them to the normal distribution, are as a sample
// of that size allows; streams, counters and neighbours are uncorrelated.
func TestNormalIsStandardNormalAndIndependent(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		const n = 1 << 20
		x := draw(im, n, 0x1234, 7, 99)
		var m1, m2, m3, m4 float64
		for _, v := range x {
			f := float64(v)
			m1 += f
			m2 += f * f
			m3 += f * f * f
			m4 += f * f * f * f
		}
		m1, m2, m3, m4 = m1/n, m2/n, m3/n, m4/n
		se := 1 / math.Sqrt(n)
		require.InDelta(t, 0, m1, 5*se, "mean")
		require.InDelta(t, 1, m2, 5*se*math.Sqrt(2), "variance")
		require.InDelta(t, 0, m3, 5*se*math.Sqrt(15), "third moment")
		require.InDelta(t, 3, m4, 5*se*math.Sqrt(96), "fourth moment")

		sorted := make([]float64, n)
		for i, v := range x {
			sorted[i] = float64(v)
		}
		slices.Sort(sorted)
		var d float64
		for i, v := range sorted {
			cdf := 0.5 * math.Erfc(-v/math.Sqrt2)
			d = max(d, math.Abs(cdf-float64(i)/n), math.Abs(cdf-float64(i+1)/n))
		}
		require.Less(t, d, 1.95/math.Sqrt(n), "Kolmogorov-Smirnov distance (p > 0.001)")

		corr := func(a, b []float32) float64 {
			var s float64
			for i := range a {
				s += float64(a[i]) * float64(b[i])
			}
			return s / float64(len(a))
		}
		const m = 1 << 18
		base := draw(im, m, 0x1234, 7, 99)
		for name, other := range map[string][]float32{
			"next stream":  draw(im, m, 0x1234, 8, 99),
			"next counter": draw(im, m, 0x1234, 7, 100),
			"next key":     draw(im, m, 0x1235, 7, 99),
			"neighbour":    append(base[1:], 0),
			"pair partner": func() []float32 {
				s := slices.Clone(base)
				for i := 0; i+1 < m; i += 2 {
					s[i], s[i+1] = s[i+1], s[i]
				}
				return s
			}(),
		} {
			require.InDelta(t, 0, corr(base, other), 5/math.Sqrt(m), name)
		}
		require.Equal(t, base, x[:m], "a stream is a function of its key, stream and counter")
	})
}

// Every implementation draws the reference's values, to float32 rounding,
// for every length (whole and partial blocks and vectors), and a prefix of
// a stream is the stream's start.
func TestNormalMatchesTheReference(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 1000, 4097} {
			want := draw(genericImpl, n, 42, 3, 1<<40)
			got := make([]float32, n+2*guard)
			for i := range got {
				got[i] = sentinel
			}
			im.normal(got[guard:guard+n], 42, 3, 1<<40)
			for i := range guard {
				require.Equal(t, float32(sentinel), got[i], "n=%d: before", n)
				require.Equal(t, float32(sentinel), got[guard+n+i], "n=%d: after", n)
			}
			for i, w := range want {
				require.InDelta(t, w, got[guard+i], 2e-6*math.Max(1, math.Abs(float64(w))), "n=%d, i=%d", n, i)
			}
			long := draw(im, n+9, 42, 3, 1<<40)
			require.Equal(t, got[guard:guard+n], long[:n], "n=%d: prefix", n)
		}
	})
}

// NoisyStep is x - alpha*g + sigma*n clamped to [lo, hi], with the values
// Normal draws, in one pass; infinite bounds do not clamp.
func TestNoisyStepIsTheLangevinUpdate(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, n := range []int{1, 5, 16, 31, 100, 1000} {
			for _, b := range [][2]float32{{-1, 1}, {float32(math.Inf(-1)), float32(math.Inf(1))}} {
				t.Run(fmt.Sprintf("n=%d/bounds=%v", n, b), func(t *testing.T) {
					x := make([]float32, n)
					g := make([]float32, n)
					for i := range x {
						x[i] = float32(i%7)/3 - 1
						g[i] = float32(i%5) - 2
					}
					noise := draw(genericImpl, n, 5, 1, 2)
					got := slices.Clone(x)
					im.noisyStep(got, g, 0.1, 0.5, b[0], b[1], 5, 1, 2)
					for i := range x {
						want := min(max(x[i]-0.1*g[i]+0.5*noise[i], b[0]), b[1])
						require.InDelta(t, want, got[i], 2e-6, "i=%d", i)
					}
				})
			}
		}
		require.Error(t, NoisyStep(make([]float32, 3), make([]float32, 2), 1, 1, -1, 1, 0, 0, 0))
	})
}
