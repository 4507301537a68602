package jem

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// logits is f(x) in float64, for the definitions below.
func logits(t *testing.T, m *nn.Net, x []float32) []float64 {
	z, err := m.NewWorkspace(1).Forward(x, 1)
	require.NoError(t, err)
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = float64(v)
	}
	return out
}

func logsumexp(z []float64) float64 {
	hi := math.Inf(-1)
	for _, v := range z {
		hi = math.Max(hi, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - hi)
	}
	return hi + math.Log(s)
}

// E(x) = -logsumexp f(x), E(x, y) = -f(x)[y], and the gradient the sampler
// descends is theirs: central differences of the definitions agree with
// EnergyGrad, pixel by pixel.
func TestEnergyIsTheDefinitionAndItsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := nn.New(nn.MLPArch(6, 5, 4), rng)
	require.NoError(t, err)
	x := make([]float32, 6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	ev := Energy{Model: m}.NewEvaluator(1)
	for _, y := range [][]int{nil, {2}} {
		def := func(x []float32) float64 {
			z := logits(t, m, x)
			if y == nil {
				return -logsumexp(z)
			}
			return -z[y[0]]
		}
		e, g := make([]float32, 1), make([]float32, 6)
		require.NoError(t, ev.EnergyGrad(x, y, e, g))
		require.InDelta(t, def(x), float64(e[0]), 1e-5, "E, y = %v", y)
		const h = 1e-2
		for i := range x {
			xp, xm := append([]float32(nil), x...), append([]float32(nil), x...)
			xp[i] += h
			xm[i] -= h
			require.InDelta(t, (def(xp)-def(xm))/(2*h), float64(g[i]), 2e-3, "dE/dx[%d], y = %v", i, y)
		}
	}
}

// Scores gives p(y|x) = softmax f(x), rows summing to 1, and E(x) =
// -logsumexp f(x), for any number of images (across its batch size).
func TestScoresAreSoftmaxAndEnergy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, err := nn.New(nn.MLPArch(3, 4, 5), rng)
	require.NoError(t, err)
	n := scoreBatch + 3
	x := make([]float32, 3*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	probs, energies, err := Scores(m, x, n)
	require.NoError(t, err)
	for _, i := range []int{0, scoreBatch - 1, scoreBatch, n - 1} {
		z := logits(t, m, x[3*i:3*i+3])
		lse := logsumexp(z)
		require.InDelta(t, -lse, energies[i], 1e-5)
		sum := 0.0
		for k, p := range probs[5*i : 5*i+5] {
			require.InDelta(t, math.Exp(z[k]-lse), float64(p), 1e-6)
			sum += float64(p)
		}
		require.InDelta(t, 1, sum, 1e-5)
	}
}
