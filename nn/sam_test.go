package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// samSetup is a small network, a batch and the linear loss's gradient g at
// the network's weights w.
func samSetup(t *testing.T, rho float64) (m *Net, s *SAM, g *Grads, x, c []float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 21))
	m, err := New(MLPArch(7, 6, 5, 3), rng)
	require.NoError(t, err)
	const n = 4
	x, c = randVec(rng, n*m.In(), 1), randVec(rng, n*m.Out(), 1)
	ws := m.NewWorkspace(n)
	_, err = ws.Forward(x, n)
	require.NoError(t, err)
	g = m.NewGrads()
	require.NoError(t, ws.Backward(c, g))
	s, err = NewSAM(m, rho)
	require.NoError(t, err)
	return m, s, g, x, c
}

func copyParams(m *Net) [][]float32 {
	var out [][]float32
	for _, p := range m.Params() {
		out = append(out, slices.Clone(p))
	}
	return out
}

// Ascend moves w to w + rho*g/|g|: a step of length rho along the gradient.
func TestSAMAscendsAlongTheGradientByRho(t *testing.T) {
	const rho = 0.05
	m, s, g, _, _ := samSetup(t, rho)
	w := copyParams(m)
	norm, err := s.Ascend(m, g, nil)
	require.NoError(t, err)
	require.InDelta(t, GradNorm(g), norm, 1e-9)
	var moved float64
	for i, p := range m.Params() {
		for j, v := range p {
			want := float64(w[i][j]) + rho*float64(g.G[i][j])/norm
			require.InDelta(t, want, float64(v), 1e-6)
			d := float64(v) - float64(w[i][j])
			moved += d * d
		}
	}
	require.InDelta(t, rho, math.Sqrt(moved), 1e-5)
}

// To first order w + rho*g/|g| is the worst point of the ball of radius rho:
// the loss rises by rho*|g|, more than along any other direction.
func TestSAMFindsTheWorstPointOfTheBallToFirstOrder(t *testing.T) {
	const rho = 1e-3
	m, s, g, x, c := samSetup(t, rho)
	before := linearLoss(t, m, x, c, 4)
	norm, err := s.Ascend(m, g, nil)
	require.NoError(t, err)
	worst := linearLoss(t, m, x, c, 4)
	require.InEpsilon(t, rho*norm, worst-before, 0.05)
	s.Return(m, nil)

	rng := rand.New(rand.NewPCG(22, 22))
	w := copyParams(m)
	for range 20 {
		u := make([][]float32, len(w))
		var un float64
		for i, p := range w {
			u[i] = randVec(rng, len(p), 1)
			un += sumSquares(u[i])
		}
		for i, p := range m.Params() {
			for j := range p {
				p[j] = w[i][j] + float32(rho/math.Sqrt(un))*u[i][j]
			}
		}
		m.Sync()
		require.Less(t, linearLoss(t, m, x, c, 4), worst)
	}
}

// Return puts back w's exact bits, and the network computes what it did.
func TestSAMReturnRestoresTheWeights(t *testing.T) {
	m, s, g, x, c := samSetup(t, 0.5)
	w := copyParams(m)
	before := linearLoss(t, m, x, c, 4)
	_, err := s.Ascend(m, g, nil)
	require.NoError(t, err)
	require.NotEqual(t, before, linearLoss(t, m, x, c, 4))
	s.Return(m, nil)
	require.Equal(t, w, copyParams(m))
	require.Equal(t, before, linearLoss(t, m, x, c, 4))
}

// On a pool the ascent is the serial one, bit for bit.
func TestSAMInParallelGivesTheSerialBits(t *testing.T) {
	m, s, g, _, _ := samSetup(t, 0.1)
	w := copyParams(m)
	serialNorm, err := s.Ascend(m, g, nil)
	require.NoError(t, err)
	serial := copyParams(m)
	s.Return(m, nil)
	backwards := func(tasks int, f func(worker, task int)) {
		for t := tasks - 1; t >= 0; t-- {
			f(t%2, t)
		}
	}
	norm, err := s.Ascend(m, g, backwards)
	require.NoError(t, err)
	require.Equal(t, serialNorm, norm)
	require.Equal(t, serial, copyParams(m))
	s.Return(m, backwards)
	require.Equal(t, w, copyParams(m))
}

// A zero gradient has no worst direction: w stays. A non-finite one is an
// error, and w stays.
func TestSAMWithoutAUsableGradient(t *testing.T) {
	m, s, g, _, _ := samSetup(t, 0.1)
	w := copyParams(m)
	g.Zero()
	norm, err := s.Ascend(m, g, nil)
	require.NoError(t, err)
	require.Zero(t, norm)
	require.Equal(t, w, copyParams(m))

	g.G[0][0] = float32(math.Inf(1))
	_, err = s.Ascend(m, g, nil)
	require.ErrorContains(t, err, "gradient norm")
	require.Equal(t, w, copyParams(m))

	for _, rho := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := NewSAM(m, rho)
		require.ErrorContains(t, err, "rho")
	}
}

// A training step ascends and returns every step: neither allocates.
func TestSAMDoesNotAllocate(t *testing.T) {
	m, s, g, _, _ := samSetup(t, 0.1)
	n := allocs.PerRun(5, func() {
		_, _ = s.Ascend(m, g, nil)
		s.Return(m, nil)
	})
	require.Zero(t, n)
}
