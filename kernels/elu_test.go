package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// eluInputs covers the special values and every tail length.
func eluInputs(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, -1e-45, 1e-45,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -87, -87.5, -88, -103, -1e4, -math.MaxFloat32,
		math.MaxFloat32, -1e-3, -0.34657, -0.34658, 0.5, -0.5, -1, -20, 1e-7, -1e-7}
	x := make([]float32, n)
	for i := range x {
		if i%3 == 0 {
			x[i] = special[(i/3)%len(special)]
		} else {
			x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(5)-2)))
		}
	}
	return x
}

func closeF32(got, want float32, rel float64) bool {
	if math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got))
	}
	if math.IsInf(float64(want), 0) {
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= rel*math.Abs(float64(want))+1e-38
}

func TestEluMatchesReference(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, alpha := range []float32{1, 0.5, 2.5} {
			for n := 0; n <= 70; n++ {
				x := eluInputs(rng, n)
				x0 := append([]float32(nil), x...)
				want := make([]float32, n)
				eluForwardGeneric(want, x, alpha)
				y := make([]float32, n+2)
				y[0], y[n+1] = sentinel, sentinel
				if n > 0 {
					im.eluFwd(y[1:n+1], x, alpha)
				}
				require.Equal(t, []float32{sentinel, sentinel}, []float32{y[0], y[n+1]}, "guards, n=%d", n)
				require.Equal(t, fmt.Sprint(x0), fmt.Sprint(x), "x modified")
				for i := range n {
					if !closeF32(y[i+1], want[i], 4e-7) {
						t.Fatalf("alpha=%g n=%d: elu(%g) = %g, want %g", alpha, n, x[i], y[i+1], want[i])
					}
				}
				// Backward, from the forward output.
				dy := eluInputs(rng, n)
				wantDx := make([]float32, n)
				eluBackwardGeneric(wantDx, dy, want, alpha)
				dx := make([]float32, n+2)
				dx[0], dx[n+1] = sentinel, sentinel
				if n > 0 {
					im.eluBwd(dx[1:n+1], dy, want, alpha)
				}
				require.Equal(t, []float32{sentinel, sentinel}, []float32{dx[0], dx[n+1]}, "guards, n=%d", n)
				for i := range n {
					if !closeF32(dx[i+1], wantDx[i], 1e-7) {
						t.Fatalf("alpha=%g n=%d: elu'(y=%g)*%g = %g, want %g", alpha, n, want[i], dy[i], dx[i+1], wantDx[i])
					}
				}
			}
		}
	})
}

// The math the reference itself must satisfy.
func TestEluReferenceDefinition(t *testing.T) {
	y := make([]float32, 6)
	eluForwardGeneric(y, []float32{2, 0, -1, float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN())}, 1.5)
	require.Equal(t, float32(2), y[0])
	require.Equal(t, float32(0), y[1])
	require.InDelta(t, 1.5*(math.Exp(-1)-1), float64(y[2]), 1e-7)
	require.Equal(t, float32(-1.5), y[3])
	require.True(t, math.IsInf(float64(y[4]), 1))
	require.True(t, math.IsNaN(float64(y[5])))
	// Backward equals the derivative in x: finite differences at a few points.
	for _, x := range []float64{-3, -0.5, -1e-3, 0.7, 4} {
		const h = 1e-3
		f := func(v float64) float64 {
			out := make([]float32, 1)
			eluForwardGeneric(out, []float32{float32(v)}, 1.5)
			return float64(out[0])
		}
		out := make([]float32, 1)
		eluForwardGeneric(out, []float32{float32(x)}, 1.5)
		dx := make([]float32, 1)
		eluBackwardGeneric(dx, []float32{1}, out, 1.5)
		require.InDelta(t, (f(x+h)-f(x-h))/(2*h), float64(dx[0]), 2e-3, "x=%g", x)
	}
}

func TestEluRejectsLengthMismatch(t *testing.T) {
	require.Error(t, EluForward(make([]float32, 3), make([]float32, 4), 1))
	require.Error(t, EluBackward(make([]float32, 3), make([]float32, 3), make([]float32, 4), 1))
	require.NoError(t, EluForward(nil, nil, 1))
}

func FuzzElu(f *testing.F) {
	f.Add(float32(-1), float32(0.5), float32(1))
	f.Add(float32(math.NaN()), float32(-100), float32(1e-40))
	f.Fuzz(func(t *testing.T, a, b, c float32) {
		x := []float32{a, b, c, a, b, c, a, b, c, a, b, c, a, b, c, a, b, -c, -a}
		want := make([]float32, len(x))
		eluForwardGeneric(want, x, 1)
		got := make([]float32, len(x))
		require.NoError(t, EluForward(got, x, 1))
		for i := range x {
			if !closeF32(got[i], want[i], 4e-7) {
				t.Fatalf("elu(%g) = %g, want %g", x[i], got[i], want[i])
			}
		}
	})
}
