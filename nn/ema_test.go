package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// The decay ramps up as (1+n)/(10+n) and is capped at Decay.
func TestEMADecayWarmsUp(t *testing.T) {
	m, err := New(MLPArch(3, 2), rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	e, err := NewEMA(m, 0.99)
	require.NoError(t, err)
	require.InDelta(t, 0.1, e.DecayAt(0), 1e-12)
	require.InDelta(t, 0.5, e.DecayAt(8), 1e-12)
	require.InDelta(t, 0.99, e.DecayAt(10000), 1e-12)
	for _, bad := range []float64{0, 1, -0.5, math.NaN()} {
		_, err := NewEMA(m, bad)
		require.Error(t, err, "decay %v", bad)
	}
}

// After each update the average is d*avg + (1-d)*w, computed here in
// float64 beside it; the averaged model's forward pass uses those weights.
func TestEMAIsTheRecurrence(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m, err := New(MLPArch(5, 4, 3), rng)
	require.NoError(t, err)
	e, err := NewEMA(m, 0.9)
	require.NoError(t, err)
	var ref [][]float64
	for _, p := range m.Params() {
		r := make([]float64, len(p))
		for j, v := range p {
			r[j] = float64(v)
		}
		ref = append(ref, r)
	}
	for n := range 40 {
		for _, p := range m.Params() {
			for j := range p {
				p[j] = float32(rng.NormFloat64())
			}
		}
		m.Sync()
		d := min(0.9, float64(1+n)/float64(10+n))
		for i, p := range m.Params() {
			for j, w := range p {
				ref[i][j] = d*ref[i][j] + (1-d)*float64(w)
			}
		}
		e.Update(m)
	}
	require.Equal(t, 40, e.N)
	for i, p := range e.Params() {
		for j, v := range p {
			require.InDelta(t, ref[i][j], float64(v), 1e-5, "param %d[%d]", i, j)
		}
	}

	// The averaged model computes with the averaged weights: the same
	// logits as an MLP that holds them.
	same, err := New(m.Arch, nil)
	require.NoError(t, err)
	for i, p := range same.Params() {
		copy(p, e.Params()[i])
	}
	same.Sync()
	x := make([]float32, 2*5)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want, err := same.NewWorkspace(2).Forward(x, 2)
	require.NoError(t, err)
	got, err := e.Model().NewWorkspace(2).Forward(x, 2)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestEMAUpdateDoesNotAllocate(t *testing.T) {
	m, err := New(MLPArch(30, 20, 10), rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	e, err := NewEMA(m, 0.999)
	require.NoError(t, err)
	require.Zero(t, allocs.PerRun(10, func() { e.Update(m) }))
}
