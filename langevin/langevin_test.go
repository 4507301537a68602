package langevin

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/ebm-project/ebm/internal/pool"
	"github.com/stretchr/testify/require"
)

// quadratic is E(x) = |x - mu|^2 / (2 s^2): its Boltzmann density exp(-E)
// is the Gaussian N(mu, s^2 I). With y set, the class shifts the mean.
type quadratic struct {
	dim   int
	mu, s float64
}

func (q quadratic) Dim() int                   { return q.dim }
func (q quadratic) NewEvaluator(int) Evaluator { return q }

func (q quadratic) EnergyGrad(x []float32, y []int, e, grad []float32) error {
	for i := range e {
		mu := q.mu
		if y != nil {
			mu += float64(y[i])
		}
		var s float64
		for j := range q.dim {
			d := float64(x[i*q.dim+j]) - mu
			s += d * d / (2 * q.s * q.s)
			grad[i*q.dim+j] = float32(d / (q.s * q.s))
		}
		e[i] = float32(s)
	}
	return nil
}

func moments(x []float32) (mean, variance float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, variance / float64(len(x))
}

// With sigma^2 = 2*alpha, SGLD's stationary law is exp(-E) up to a
// discretisation bias of order alpha: here N(mu, s^2), whose variance the
// chains reach within 2%.
func TestChainsReachTheGaussianOfAQuadraticEnergy(t *testing.T) {
	const alpha = 0.01
	q := quadratic{dim: 4, mu: 0.3, s: 0.5}
	s, err := New(q, Config{Steps: 600, Alpha: alpha, Sigma: float32(math.Sqrt(2 * alpha)), Seed: 1, Workers: 2})
	require.NoError(t, err)
	defer s.Close()
	x := make([]float32, 4000*q.dim)
	require.NoError(t, s.Run(x, nil, nil, true, 0))
	mean, variance := moments(x)
	// Exact stationary variance of the discretised chain: s^2 / (1 - alpha/(2 s^2)).
	want := q.s * q.s / (1 - alpha/(2*q.s*q.s))
	require.InDelta(t, q.mu, mean, 0.01)
	require.InDelta(t, want, variance, 0.02*want)
}

// Class-conditional energies E(x, y) pull each chain to its class's mean.
func TestConditionalChainsFollowTheirLabels(t *testing.T) {
	q := quadratic{dim: 2, mu: 0, s: 0.3}
	s, err := New(q, Config{Steps: 300, Alpha: 0.01, Sigma: 0.01, Seed: 2, Workers: 1})
	require.NoError(t, err)
	defer s.Close()
	x := make([]float32, 100*2)
	y := make([]int, 100)
	for i := range y {
		y[i] = i % 2
	}
	e := make([]float32, 100)
	require.NoError(t, s.Run(x, y, e, true, 0))
	for i := range y {
		require.InDelta(t, float64(y[i]), float64(x[2*i]), 0.1, "chain %d", i)
		require.Less(t, e[i], float32(0.1))
	}
}

// A seed fixes the samples whatever the number of workers.
func TestSamplesAreIdenticalForAnyWorkerCount(t *testing.T) {
	q := quadratic{dim: 3, mu: 0, s: 1}
	run := func(workers, shard int, round uint64) []float32 {
		s, err := New(q, Config{Steps: 20, Alpha: 0.1, Sigma: 0.3, Seed: 7, Workers: workers, ShardSize: shard, Clamp: true})
		require.NoError(t, err)
		defer s.Close()
		x := make([]float32, 100*3)
		require.NoError(t, s.Run(x, nil, nil, true, round))
		return x
	}
	serial := run(1, 8, 5)
	require.Equal(t, serial, run(2, 8, 5))
	require.Equal(t, serial, run(5, 8, 5))
	require.NotEqual(t, serial, run(2, 8, 6), "another round draws other noise")
	for _, v := range serial {
		require.True(t, v >= -1 && v <= 1, "clamped to [-1,1]: %v", v)
	}
}

func TestZeroStepsStillReportEnergies(t *testing.T) {
	q := quadratic{dim: 1, mu: 0, s: 1}
	s, err := New(q, Config{Steps: 0, Seed: 1, Workers: 1})
	require.NoError(t, err)
	defer s.Close()
	x := []float32{2, -4}
	e := make([]float32, 2)
	require.NoError(t, s.Run(x, nil, e, false, 0))
	require.Equal(t, []float32{2, -4}, x)
	require.Equal(t, []float32{2, 8}, e)
}

type failing struct{ quadratic }

func (f failing) NewEvaluator(int) Evaluator { return f }
func (failing) EnergyGrad([]float32, []int, []float32, []float32) error {
	return errors.New("model diverged")
}

func TestErrorsReachTheCaller(t *testing.T) {
	s, err := New(failing{quadratic{dim: 2}}, Config{Steps: 3, Seed: 1, Workers: 2, ShardSize: 1})
	require.NoError(t, err)
	defer s.Close()
	require.ErrorContains(t, s.Run(make([]float32, 20), nil, nil, true, 0), "model diverged")

	q := quadratic{dim: 2, s: 1}
	for _, c := range []Config{
		{Steps: -1, Workers: 1}, {Steps: 1, Alpha: -1, Workers: 1},
		{Steps: 1, Sigma: float32(math.NaN()), Workers: 1}, {Steps: 1, Workers: -1},
		{Steps: 1, Workers: pool.MaxWorkers + 1},
	} {
		_, err := New(q, c)
		require.Error(t, err, "%+v", c)
	}
	// The pool owns the cores: 0 workers is one per core.
	s0, err := New(q, Config{Steps: 1})
	require.NoError(t, err)
	defer s0.Close()
	require.Equal(t, runtime.GOMAXPROCS(0), s0.Workers())
	s2, err := New(q, Config{Steps: 1, Workers: 1})
	require.NoError(t, err)
	defer s2.Close()
	require.ErrorContains(t, s2.Run(make([]float32, 3), nil, nil, true, 0), "whole number")
	require.ErrorContains(t, s2.Run(make([]float32, 4), []int{1}, nil, true, 0), "labels")
}

// The sampling loop allocates nothing per call.
func TestRunDoesNotAllocate(t *testing.T) {
	q := quadratic{dim: 8, s: 1}
	s, err := New(q, Config{Steps: 5, Alpha: 0.1, Sigma: 0.1, Seed: 1, Workers: 2, ShardSize: 4})
	require.NoError(t, err)
	defer s.Close()
	x := make([]float32, 16*8)
	n := allocs.PerRun(10, func() { _ = s.Run(x, nil, nil, false, 1) })
	require.Zero(t, n)
}

func TestBufferDrawsStoresAndReinitialises(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	b, err := NewBuffer(50, 3, 10, 0, rng)
	require.NoError(t, err)
	for i := range b.Data {
		b.Data[i] = float32(i / 3) // slot k holds k
	}
	x := make([]float32, 8*3)
	y := make([]int, 8)
	b.Draw(x, y, rng)
	for i := range 8 {
		k := int(x[3*i])
		require.Equal(t, []float32{float32(k), float32(k), float32(k)}, x[3*i:3*i+3])
		require.Equal(t, k%10, y[i])
		x[3*i] = -5
	}
	b.Store(x, 7)
	for _, k := range b.idx {
		require.Equal(t, float32(-5), b.Data[3*k])
		require.GreaterOrEqual(t, b.ChainSteps[k], 7)
	}
	// With Reinit = 1 every chain restarts from noise in [-1,1].
	b.Reinit = 1
	b.Draw(x, nil, rng)
	for _, v := range x {
		require.True(t, v >= -1 && v <= 1)
	}
	for _, k := range b.idx {
		require.Zero(t, b.ChainSteps[k], "a restarted chain has run 0 steps")
	}
	_, err = NewBuffer(0, 3, 10, 0, rng)
	require.Error(t, err)
	_, err = NewBuffer(5, 3, 10, 1.5, rng)
	require.Error(t, err)
}

// MedianChainSteps is the middle of the slots' step counts, whatever their order.
func TestBufferMedianChainSteps(t *testing.T) {
	b, err := NewBuffer(5, 1, 10, 0, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.Zero(t, b.MedianChainSteps(), "a new buffer holds only fresh noise")
	copy(b.ChainSteps, []int{40, 0, 100, 20, 60})
	require.Equal(t, 40, b.MedianChainSteps())
	require.Equal(t, []int{40, 0, 100, 20, 60}, b.ChainSteps, "ChainSteps is left in slot order")
}

// With a mask, only the freed dimensions move.
func TestMaskedRunMovesOnlyFreeDimensions(t *testing.T) {
	q := quadratic{dim: 4, mu: 0.5, s: 0.2}
	s, err := New(q, Config{Steps: 200, Alpha: 0.01, Sigma: 0.01, Seed: 3, Workers: 2})
	require.NoError(t, err)
	defer s.Close()
	require.Error(t, s.SetMask([]bool{true}))
	require.NoError(t, s.SetMask([]bool{false, true, false, true}))
	x := make([]float32, 10*4)
	for i := range x {
		x[i] = -0.7
	}
	require.NoError(t, s.Run(x, nil, nil, false, 0))
	for i := 0; i < len(x); i += 4 {
		require.Equal(t, float32(-0.7), x[i])
		require.Equal(t, float32(-0.7), x[i+2])
		require.InDelta(t, 0.5, float64(x[i+1]), 0.1)
		require.InDelta(t, 0.5, float64(x[i+3]), 0.1)
	}
}

// A progress function hears of every shard once, ending at the total.
func TestProgressCountsEveryShard(t *testing.T) {
	q := quadratic{dim: 3, s: 1}
	s, err := New(q, Config{Steps: 2, Alpha: 0.1, Seed: 1, Workers: 3, ShardSize: 4})
	require.NoError(t, err)
	defer s.Close()
	var mu sync.Mutex
	var seen, totals []int // asserted here, not in the pool's workers
	s.SetProgress(func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		totals = append(totals, total)
		seen = append(seen, done)
	})
	require.NoError(t, s.Run(make([]float32, 17*3), nil, nil, true, 0))
	slices.Sort(seen)
	require.Equal(t, []int{1, 2, 3, 4, 5}, seen)
	require.Equal(t, []int{5, 5, 5, 5, 5}, totals)
}

// A cancelled context stops a run early with its error.
func TestRunContextStopsWhenCancelled(t *testing.T) {
	q := quadratic{dim: 2, s: 1}
	s, err := New(q, Config{Steps: 1 << 30, Alpha: 0.01, Seed: 1, Workers: 2})
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.RunContext(ctx, make([]float32, 64*2), nil, nil, true, 0), context.DeadlineExceeded)
	// The sampler stays usable.
	require.NoError(t, s.SetDynamics(3, 0.01, 0))
	require.NoError(t, s.Run(make([]float32, 64*2), nil, nil, true, 0))
}

// Proximal SGLD (PYLD) clips each pixel's gradient move to [-d, d]:
// x' = x - clip(alpha*grad E, -d, d), here with grad E = x/s^2 and no noise.
// Where no move reaches d it is SGLD, bit for bit, noise included.
func TestProximalStepsMoveNoPixelFurtherThanMaxStep(t *testing.T) {
	q := quadratic{dim: 4, mu: 0, s: 0.1}
	const alpha, d = 0.5, 0.05
	start := []float32{0.3, -0.3, 0.004, -0.0002, 0.05, 0.1, 0.01, 0.0}
	for _, masked := range []bool{false, true} {
		s, err := New(q, Config{Steps: 1, Alpha: alpha, MaxStep: d, Seed: 3, Workers: 1})
		require.NoError(t, err)
		if masked {
			require.NoError(t, s.SetMask([]bool{true, true, true, true}))
		}
		x := slices.Clone(start)
		require.NoError(t, s.Run(x, nil, nil, false, 0))
		s.Close()
		for i, v := range start {
			move := float64(alpha) * float64(v) / (q.s * q.s)
			want := float64(v) - math.Min(math.Max(move, -d), d)
			require.InDelta(t, want, float64(x[i]), 1e-6, "pixel %d, masked %v", i, masked)
		}
	}

	small := []float32{0.001, -0.002, 0.0005, 0}
	run := func(maxStep float32) []float32 {
		s, err := New(q, Config{Steps: 3, Alpha: 0.001, Sigma: 0.01, MaxStep: maxStep, Seed: 4, Workers: 1})
		require.NoError(t, err)
		defer s.Close()
		x := slices.Clone(small)
		require.NoError(t, s.Run(x, nil, nil, false, 7))
		return x
	}
	require.Equal(t, run(0), run(1))

	for _, bad := range []float32{-0.1, float32(math.NaN()), float32(math.Inf(1))} {
		_, err := New(q, Config{Steps: 1, Alpha: 1, MaxStep: bad})
		require.ErrorContains(t, err, "max step")
	}
}
