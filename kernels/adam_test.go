package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every implementation's Adam gives the generic result bit for bit, over
// lengths around the vector widths, with gradients and moments from zero
// to large, and the scalars of a clipped, bias-corrected early step.
func TestAdamMatchesTheReference(t *testing.T) {
	s := AdamScalars{Scale: 0.37, B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Step: 1e-3 / (1 - 0.9*0.9), Inv: float32(1 / math.Sqrt(1-0.999*0.999)), Eps: 1e-8}
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(61, 62))
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 4099} {
			p, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				scale := math.Pow(10, float64(rng.IntN(12)-6))
				p[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()*scale)
				m[i], v[i] = float32(rng.NormFloat64()*scale*0.1), float32(rng.Float64()*scale*scale)
				if i%13 == 0 {
					g[i], m[i], v[i] = 0, 0, 0 // a parameter never touched yet
				}
			}
			wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			g0 := append([]float32(nil), g...)
			adamGeneric(wp, wm, wv, g, s)
			im.adam(p, m, v, g, s)
			require.Equal(t, wp, p, "n=%d: parameters", n)
			require.Equal(t, wm, m, "n=%d: first moment", n)
			require.Equal(t, wv, v, "n=%d: second moment", n)
			require.Equal(t, g0, g, "n=%d: gradient changed", n)
		}
	})
}

// One step from zero moments moves each parameter by about the learning
// rate against its gradient's sign: Adam's defining property.
func TestAdamFirstStepIsTheSignTimesTheRate(t *testing.T) {
	const lr = 1e-3
	s := AdamScalars{Scale: 1, B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Step: lr / 0.1, Inv: float32(1 / math.Sqrt(0.001)), Eps: 1e-8}
	g := []float32{3, -0.5, 1e-3, -200}
	p := make([]float32, 4)
	require.NoError(t, Adam(p, make([]float32, 4), make([]float32, 4), g, s))
	for i, v := range p {
		require.InDelta(t, -lr*math.Copysign(1, float64(g[i])), float64(v), 1e-6, "parameter %d", i)
	}
	require.ErrorContains(t, Adam(p, make([]float32, 3), make([]float32, 4), g, s), "lengths differ")
}
