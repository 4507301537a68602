package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/ebm-project/ebm/kernels"
	"github.com/stretchr/testify/require"
)

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// linearLoss is L = sum(c * f(x)): its logits gradient is c.
func linearLoss(t *testing.T, m *Net, x, c []float32, n int) float64 {
	ws := m.NewWorkspace(n)
	z, err := ws.Forward(x, n)
	require.NoError(t, err)
	var s float64
	for i, v := range z {
		s += float64(v) * float64(c[i])
	}
	return s
}

// relErr is ||a-b|| / max(||b||, tiny).
func relErr(a []float32, b []float64) float64 {
	var d, nb float64
	for i := range a {
		d += (float64(a[i]) - b[i]) * (float64(a[i]) - b[i])
		nb += b[i] * b[i]
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(nb), 1e-12)
}

// Backward and InputGrad are the derivatives of the forward pass: central
// finite differences agree to within the float32 noise of the difference,
// for an MLP and for convolutions (stride 1 and 2, padding) under dense
// layers.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	convNet, err := ConvArch(6, 5, 2, []ConvSpec{{3, 3, 1, 1}, {4, 3, 2, 1}}, []int{5}, 3)
	require.NoError(t, err)
	for _, arch := range []Arch{MLPArch(7, 6, 5, 3), convNet} {
		t.Run(arch.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			m, err := New(arch, rng)
			require.NoError(t, err)
			const n = 4
			x := randVec(rng, n*m.In(), 1)
			c := randVec(rng, n*m.Out(), 1)

			ws := m.NewWorkspace(n)
			_, err = ws.Forward(x, n)
			require.NoError(t, err)
			g := m.NewGrads()
			require.NoError(t, ws.Backward(c, g))

			const h = 1e-2
			for pi, p := range m.Params() {
				fd := make([]float64, len(p))
				for j := range p {
					orig := p[j]
					p[j] = orig + h
					m.Sync()
					up := linearLoss(t, m, x, c, n)
					p[j] = orig - h
					m.Sync()
					down := linearLoss(t, m, x, c, n)
					p[j] = orig
					m.Sync()
					fd[j] = (up - down) / (2 * h)
				}
				require.Less(t, relErr(g.G[pi], fd), 2e-3, "parameter %d", pi)
			}

			_, err = ws.Forward(x, n)
			require.NoError(t, err)
			dx, err := ws.InputGrad(c)
			require.NoError(t, err)
			fd := make([]float64, len(x))
			for j := range x {
				orig := x[j]
				x[j] = orig + h
				up := linearLoss(t, m, x, c, n)
				x[j] = orig - h
				down := linearLoss(t, m, x, c, n)
				x[j] = orig
				fd[j] = (up - down) / (2 * h)
			}
			require.Less(t, relErr(dx, fd), 2e-3, "input gradient")
		})
	}
}

// Backward accumulates: two calls give twice the gradient.
func TestBackwardAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m, err := New(MLPArch(5, 4, 3), rng)
	require.NoError(t, err)
	x, c := randVec(rng, 10, 1), randVec(rng, 6, 1)
	ws := m.NewWorkspace(2)
	_, err = ws.Forward(x, 2)
	require.NoError(t, err)
	g1, g2 := m.NewGrads(), m.NewGrads()
	require.NoError(t, ws.Backward(c, g1))
	require.NoError(t, ws.Backward(c, g2))
	require.NoError(t, ws.Backward(c, g2))
	for i := range g1.G {
		for j := range g1.G[i] {
			require.InDelta(t, 2*g1.G[i][j], g2.G[i][j], 1e-5)
		}
	}
}

func TestLogSumExpSoftmaxCrossEntropy(t *testing.T) {
	z := []float32{1000, 1000, 1000 - float32(math.Log(2))}
	// Stable at large values: lse = 1000 + log(2.5).
	require.InDelta(t, 1000+math.Log(2.5), LogSumExp(z), 1e-4)
	p := make([]float32, 3)
	lse := Softmax(p, z)
	require.InDelta(t, LogSumExp(z), lse, 0)
	require.InDelta(t, 1, float64(p[0]+p[1]+p[2]), 1e-6)
	require.InDelta(t, 0.4, float64(p[0]), 1e-4)
	require.InDelta(t, 0.2, float64(p[2]), 1e-4)
	// CE = -log p[y].
	require.InDelta(t, -math.Log(0.2), CrossEntropy(z, 2), 1e-3)
	require.Equal(t, 0, Argmax(z))
}

// PyTorch's default init: |W|, |b| <= 1/sqrt(fan_in), and not all equal.
func TestInitIsUniformInFanInBound(t *testing.T) {
	m, err := New(MLPArch(DefaultSizes...), rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	require.Equal(t, 784*512+512+512*512+512+512*512+512+512*10+10, m.NumParams())
	for _, l := range m.Layers {
		bound := float32(1 / math.Sqrt(float64(l.In)))
		var lo, hi float32
		for _, v := range append(append([]float32(nil), l.W...), l.B...) {
			require.LessOrEqual(t, float32(math.Abs(float64(v))), bound)
			lo, hi = min(lo, v), max(hi, v)
		}
		require.Greater(t, hi-lo, bound, "values spread over the interval")
	}
	_, err = New(MLPArch(5), nil)
	require.Error(t, err)
	_, err = New(MLPArch(5, 0, 3), nil)
	require.ErrorContains(t, err, "sizes[1] = 0")
}

// Architectures come from files and flags: sizes whose weights would not
// fit in memory, or whose products overflow, are errors before anything is
// allocated.
func TestHugeArchitecturesAreRefused(t *testing.T) {
	for _, a := range []Arch{
		MLPArch(1<<20, 1<<20, 10),
		MLPArch(math.MaxInt, 2),
		MLPArch(1<<40, 1<<40, 10),
		{Shape: []int{1 << 40, 1 << 40, 1}, Sizes: []int{784, 10}},
		{Shape: []int{28, 28, 1}, Convs: []ConvSpec{{Channels: 1 << 40, K: 3, Stride: 1}}, Sizes: []int{1}},
		{Shape: []int{28, 28, 1 << 20}, Convs: []ConvSpec{{Channels: 8, K: 3, Stride: 1}}, Sizes: []int{1}},
	} {
		_, err := New(a, nil)
		require.Error(t, err, "%+v", a)
	}
	_, err := New(MLPArch(784, 512, 512, 512, 10), nil)
	require.NoError(t, err)
}

// First Adam step: m^ = g, v^ = g^2, so each parameter moves by
// -lr*g/(|g|+eps), i.e. about -lr*sign(g).
func TestAdamFirstStepMovesByLearningRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	m, err := New(MLPArch(3, 2), rng)
	require.NoError(t, err)
	before := append([]float32(nil), m.Layers[0].W...)
	g := m.NewGrads()
	for i := range g.G[0] {
		g.G[0][i] = float32(i) - 2.5
	}
	opt := NewAdam(m, 0.01)
	norm, err := opt.Step(m, g)
	require.NoError(t, err)
	require.InDelta(t, GradNorm(g), norm, 1e-9)
	for i, w := range m.Layers[0].W {
		sign := math.Copysign(1, float64(g.G[0][i]))
		require.InDelta(t, float64(before[i])-0.01*sign, float64(w), 1e-6)
	}
	// The packed copies of W follow the update: the logits are x*W + b
	// and the input gradient dY*W^T of the new weights.
	l := m.Layers[0]
	x, dy := []float32{0.5, -1, 2}, []float32{1, -2}
	ws := m.NewWorkspace(1)
	logits, err := ws.Forward(x, 1)
	require.NoError(t, err)
	for j := range l.Out {
		want := float64(l.B[j])
		for i := range l.In {
			want += float64(x[i]) * float64(l.W[i*l.Out+j])
		}
		require.InDelta(t, want, float64(logits[j]), 1e-6, "logit %d", j)
	}
	dx, err := ws.InputGrad(dy)
	require.NoError(t, err)
	for i := range l.In {
		var want float64
		for j := range l.Out {
			want += float64(dy[j]) * float64(l.W[i*l.Out+j])
		}
		require.InDelta(t, want, float64(dx[i]), 1e-6, "input gradient %d", i)
	}

	g.G[0][0] = float32(math.NaN())
	_, err = opt.Step(m, g)
	require.ErrorContains(t, err, "gradient norm")
}

func TestClipNormBoundsTheUpdateDirection(t *testing.T) {
	m, err := New(MLPArch(2, 1), rand.New(rand.NewPCG(5, 5)))
	require.NoError(t, err)
	g := m.NewGrads()
	g.G[0][0], g.G[0][1] = 300, 400
	opt := NewAdam(m, 0.1)
	opt.ClipNorm = 1
	norm, err := opt.Step(m, g)
	require.NoError(t, err)
	require.InDelta(t, 500, norm, 1e-9)
	// Adam's first step is scale-free, so clipping shows in the moments.
	require.InDelta(t, 0.1*0.6, float64(opt.M[0][0]), 1e-6)
}

// Sampling and training call these every step: they must not allocate.
func TestForwardBackwardDoNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	m, err := New(MLPArch(DefaultSizes...), rng)
	require.NoError(t, err)
	ws := m.NewWorkspace(32)
	x, c := randVec(rng, 32*784, 1), randVec(rng, 32*10, 1)
	g := m.NewGrads()
	opt := NewAdam(m, 1e-3)
	n := allocs.PerRun(5, func() {
		_, _ = ws.Forward(x, 32)
		_, _ = ws.InputGrad(c)
		_, _ = ws.Forward(x, 32)
		_ = ws.Backward(c, g)
		_, _ = opt.Step(m, g)
	})
	require.Zero(t, n)
}

// The forward pass gives the same logits on every kernel implementation.
func TestForwardAgreesAcrossKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m, err := New(MLPArch(DefaultSizes...), rng)
	require.NoError(t, err)
	x := randVec(rng, 5*784, 1)
	prev := kernels.Active()
	t.Cleanup(func() { _ = kernels.Use(prev) })
	require.NoError(t, kernels.Use("generic"))
	ref, err := m.NewWorkspace(5).Forward(x, 5)
	require.NoError(t, err)
	for _, im := range kernels.Describe().Implementations {
		if !im.Available {
			continue
		}
		require.NoError(t, kernels.Use(im.Name))
		got, err := m.NewWorkspace(5).Forward(x, 5)
		require.NoError(t, err)
		for i := range ref {
			require.InDelta(t, ref[i], got[i], 1e-4, "%s logit %d", im.Name, i)
		}
	}
}

func TestWorkspaceRejectsOversizedBatch(t *testing.T) {
	m, err := New(MLPArch(3, 2), rand.New(rand.NewPCG(8, 8)))
	require.NoError(t, err)
	_, err = m.NewWorkspace(2).Forward(make([]float32, 9), 3)
	require.ErrorContains(t, err, "batch larger")
	_, err = m.NewWorkspace(4).Forward(make([]float32, 5), 2)
	require.ErrorContains(t, err, "input has 5 values")
}

// fillRows leaves every row of dst equal to row, for any number of rows.
func TestFillRowsWritesEveryRow(t *testing.T) {
	row := []float32{1, -2, 3}
	for _, rows := range []int{0, 1, 2, 3, 7, 64, 65} {
		dst := make([]float32, rows*len(row))
		fillRows(dst, row)
		for r := range rows {
			require.Equal(t, row, dst[r*3:(r+1)*3], "%d rows: row %d", rows, r)
		}
	}
}
