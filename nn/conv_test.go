package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// convCase is one convolution shape.
type convCase struct{ h, w, inC, outC, k, stride, pad, n int }

func (cc convCase) String() string {
	return fmt.Sprintf("%dx%dx%d->%d/k%d/s%d/p%d/n%d", cc.h, cc.w, cc.inC, cc.outC, cc.k, cc.stride, cc.pad, cc.n)
}

// convCases sweeps kernel sizes 1-5, strides 1-2, every padding below the
// kernel up to 2, odd and even image sides, and channels from 1 to 64.
func convCases() []convCase {
	var out []convCase
	for k := 1; k <= 5; k++ {
		for stride := 1; stride <= 2; stride++ {
			for pad := 0; pad <= min(2, k-1); pad++ {
				out = append(out, convCase{5 + k%2, 7, 1 + (k+pad)%3, 2 + stride, k, stride, pad, 2})
			}
		}
	}
	// Enough input channels for the input gradient by phases (transposed.go),
	// strides 1-3 (a stride above the kernel leaves pixels no offset reaches).
	for k := 1; k <= 5; k++ {
		for stride := 1; stride <= 3; stride++ {
			for pad := 0; pad <= min(2, k-1); pad++ {
				out = append(out, convCase{5 + k%2, 6 + stride%2, minTransposedInC + (k+pad)%3, 3 + stride, k, stride, pad, 2})
			}
		}
	}
	return append(out, convCase{28, 28, 1, 32, 3, 1, 1, 2}, convCase{14, 14, 32, 64, 3, 2, 1, 2},
		convCase{7, 7, 64, 5, 3, 1, 0, 3}, convCase{4, 4, 3, 64, 4, 1, 0, 1},
		convCase{3, 2, 2, 3, 3, 1, 2, 2}) // every patch overlaps the padding
}

// newConvCase is a network of the one convolution, its output the
// network's output; the layer is convolution and weights together.
func newConvCase(t testing.TB, cc convCase, rng *rand.Rand) (*Net, *Layer) {
	t.Helper()
	arch, err := ConvArch(cc.h, cc.w, cc.inC, []ConvSpec{{cc.outC, cc.k, cc.stride, cc.pad}}, nil, 0)
	require.NoError(t, err)
	arch.Sizes = arch.Sizes[:1] // no dense layer
	m, err := New(arch, rng)
	require.NoError(t, err)
	return m, m.Layers[0]
}

// pixel returns the index of (iy, ix, ic) of image img in x, or -1 where it
// is padding.
func pixel(c *Conv2D, img, iy, ix, ic int) int {
	if iy < 0 || iy >= c.InH || ix < 0 || ix >= c.InW {
		return -1
	}
	return img*c.In() + (iy*c.InW+ix)*c.InC + ic
}

// refConv is the definition, in float64: y[img][oy][ox][oc] = b[oc] + the
// sum over the kernel of W[ky][kx][ic][oc] * x[img][oy*S-P+ky][ox*S-P+kx][ic].
// visit calls f for every term with the indices of y, W and x.
func visit(c *Conv2D, n int, f func(yi, wi, xi int)) {
	for img := range n {
		for oy := range c.OutH {
			for ox := range c.OutW {
				for oc := range c.OutC {
					yi := img*c.Out() + (oy*c.OutW+ox)*c.OutC + oc
					for ky := range c.K {
						for kx := range c.K {
							for ic := range c.InC {
								xi := pixel(c, img, oy*c.Stride-c.Pad+ky, ox*c.Stride-c.Pad+kx, ic)
								if xi >= 0 {
									f(yi, ((ky*c.K+kx)*c.InC+ic)*c.OutC+oc, xi)
								}
							}
						}
					}
				}
			}
		}
	}
}

func refConv(l *Layer, x []float32, n int) (y, mag []float64) {
	c := l.Conv
	y, mag = make([]float64, n*c.Out()), make([]float64, n*c.Out())
	for i := range y {
		y[i] = float64(l.B[i%c.OutC])
		mag[i] = math.Abs(y[i])
	}
	visit(c, n, func(yi, wi, xi int) {
		t := float64(l.W[wi]) * float64(x[xi])
		y[yi] += t
		mag[yi] += math.Abs(t)
	})
	return y, mag
}

// The forward pass is the definition, to float32 rounding, over every
// shape; the output past n images and the input are untouched.
func TestConvForwardIsTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cc := range convCases() {
		t.Run(cc.String(), func(t *testing.T) {
			m, l := newConvCase(t, cc, rng)
			c := l.Conv
			x := randVec(rng, cc.n*c.In(), 1)
			x0 := append([]float32(nil), x...)
			ws := m.NewWorkspace(cc.n + 1)
			for i := range ws.acts[0] {
				ws.acts[0][i] = -7777.25
			}
			y, err := ws.Forward(x, cc.n)
			require.NoError(t, err)
			require.Len(t, y, cc.n*c.Out())
			want, mag := refConv(l, x, cc.n)
			for i, w := range want {
				tol := 4 * float64(c.patch+2) * 0x1p-24 * mag[i]
				require.InDelta(t, w, float64(y[i]), tol+1e-30, "y[%d]", i)
			}
			for _, v := range ws.acts[0][cc.n*c.Out():] {
				require.Equal(t, float32(-7777.25), v, "written past the batch")
			}
			require.Equal(t, x0, x, "input changed")
		})
	}
}

// refBackward is the adjoint of the definition, in float64: each term
// w*x of y contributes dy*x to dW, dy*w to dx; dB sums dy.
func refBackward(l *Layer, x, dy []float32, n int) (dx, dW, dB []float64) {
	c := l.Conv
	dx, dW, dB = make([]float64, n*c.In()), make([]float64, len(l.W)), make([]float64, len(l.B))
	visit(c, n, func(yi, wi, xi int) {
		dW[wi] += float64(dy[yi]) * float64(x[xi])
		dx[xi] += float64(dy[yi]) * float64(l.W[wi])
	})
	for i, v := range dy[:n*c.Out()] {
		dB[i%c.OutC] += float64(v)
	}
	return dx, dW, dB
}

// The backward pass is the adjoint of the forward one, over every shape:
// the gradients to the weights, the bias and the input agree with the
// float64 reference; parameter gradients accumulate.
func TestConvBackwardIsTheAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cc := range convCases() {
		t.Run(cc.String(), func(t *testing.T) {
			m, l := newConvCase(t, cc, rng)
			c := l.Conv
			x := randVec(rng, cc.n*c.In(), 1)
			dy := randVec(rng, cc.n*c.Out(), 1)
			ws := m.NewWorkspace(cc.n)
			_, err := ws.Forward(x, cc.n)
			require.NoError(t, err)
			g := m.NewGrads()
			copy(g.G[0], randVec(rng, len(l.W), 1))
			copy(g.G[1], randVec(rng, len(l.B), 1))
			dW0, dB0 := append([]float32(nil), g.G[0]...), append([]float32(nil), g.G[1]...)
			require.NoError(t, ws.Backward(dy, g))
			dx, err := ws.InputGrad(dy)
			require.NoError(t, err)
			require.Equal(t, cc.inC >= minTransposedInC, l.tconv != nil, "input gradient by phases")
			wantX, wantW, wantB := refBackward(l, x, dy, cc.n)
			for i := range wantW {
				wantW[i] += float64(dW0[i])
			}
			for i := range wantB {
				wantB[i] += float64(dB0[i])
			}
			require.Less(t, relErr(dx, wantX), 1e-5, "dx")
			require.Less(t, relErr(g.G[0], wantW), 1e-5, "dW")
			require.Less(t, relErr(g.G[1], wantB), 1e-5, "dB")
		})
	}
}

// col2im is im2col's adjoint: <im2col(x), P> = <x, col2im(P)> for any x and
// P; so col2im(im2col(x)) is x times the number of patches covering each
// pixel.
func TestCol2imIsTheAdjointOfIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cc := range convCases() {
		c, err := NewConv2D(cc.h, cc.w, cc.inC, cc.outC, cc.k, cc.stride, cc.pad)
		require.NoError(t, err)
		rows := cc.n * c.OutH * c.OutW
		x := randVec(rng, cc.n*c.In(), 1)
		p := randVec(rng, rows*c.patch, 1)
		cols := make([]float32, len(p))
		im2col(c, cols, x, cc.n)
		back := make([]float32, len(x))
		col2im(c, back, p, cc.n)
		var lhs, rhs float64
		for i := range p {
			lhs += float64(cols[i]) * float64(p[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		require.InDelta(t, lhs, rhs, 1e-4*(1+math.Abs(lhs)), cc.String())

		ones := make([]float32, len(x))
		for i := range ones {
			ones[i] = 1
		}
		im2col(c, cols, ones, cc.n)
		cover := make([]float32, len(x))
		col2im(c, cover, cols, cc.n)
		im2col(c, cols, x, cc.n)
		col2im(c, back, cols, cc.n)
		for i := range x {
			require.InDelta(t, float64(x[i]*cover[i]), float64(back[i]), 1e-5*(1+math.Abs(float64(back[i]))), "%v: pixel %d", cc, i)
		}
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	for _, bad := range []convCase{
		{0, 5, 1, 1, 3, 1, 0, 1}, {5, 5, 1, 0, 3, 1, 0, 1}, {5, 5, 1, 1, 0, 1, 0, 1},
		{5, 5, 1, 1, 3, 0, 0, 1}, {5, 5, 1, 1, 3, 1, 3, 1}, {2, 2, 1, 1, 5, 1, 0, 1},
	} {
		_, err := NewConv2D(bad.h, bad.w, bad.inC, bad.outC, bad.k, bad.stride, bad.pad)
		require.Error(t, err, bad.String())
	}
	conv := []ConvSpec{{4, 3, 2, 1}}
	_, err := ConvArch(5, 5, 1, []ConvSpec{{4, 7, 1, 0}}, nil, 10)
	require.ErrorContains(t, err, "convolution 1")
	arch, err := ConvArch(5, 5, 1, conv, []int{8}, 10)
	require.NoError(t, err)
	require.Equal(t, []int{36, 8, 10}, arch.Sizes, "3x3x4 outputs flattened")
	require.Equal(t, "5x5x1 4c3s2p1 36-8-10", arch.String())
	for _, bad := range []Arch{
		{Shape: []int{5, 5, 1}, Convs: conv, Sizes: []int{35, 10}},
		{Shape: []int{5, 5}, Convs: conv, Sizes: []int{36, 10}},
		{Convs: conv, Sizes: []int{36, 10}},
		{Shape: []int{5, 5, 1}, Convs: conv},
	} {
		_, err := New(bad, nil)
		require.Error(t, err, bad.String())
	}
}

// A Langevin step (Forward, then InputGrad) reads a convolution's patches
// where they lie, in its padded input: only a weight gradient copies them
// out (im2col), once per Forward.
func TestConvCopiesPatchesOnlyForTheWeightGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	arch, err := ConvArch(9, 9, 2, []ConvSpec{{4, 3, 2, 1}}, nil, 3)
	require.NoError(t, err)
	m, err := New(arch, rng)
	require.NoError(t, err)
	const n = 3
	c := m.Layers[0].Conv
	ws := m.NewWorkspace(n)
	x, dy := randVec(rng, n*m.In(), 1), randVec(rng, n*m.Out(), 1)
	for i := range ws.patches[0] {
		ws.patches[0][i] = -7777.25
	}
	_, err = ws.Forward(x, n)
	require.NoError(t, err)
	_, err = ws.InputGrad(dy)
	require.NoError(t, err)
	for _, v := range ws.patches[0] {
		require.Equal(t, float32(-7777.25), v, "patches copied for an input gradient")
	}
	require.NoError(t, ws.Backward(dy, m.NewGrads()))
	want := make([]float32, len(ws.patches[0]))
	im2col(c, want, x, n)
	require.Equal(t, want, ws.patches[0], "the weight gradient's patches")
}

// A forward and backward pass through convolutions allocate nothing: they
// run in every Langevin step.
func TestConvAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	arch, err := ConvArch(14, 14, 8, []ConvSpec{{16, 3, 2, 1}, {8, 3, 1, 1}}, []int{12}, 10)
	require.NoError(t, err)
	m, err := New(arch, rng)
	require.NoError(t, err)
	ws := m.NewWorkspace(4)
	x, dy := randVec(rng, 4*m.In(), 1), randVec(rng, 4*m.Out(), 1)
	g := m.NewGrads()
	n := allocs.PerRun(10, func() {
		_, _ = ws.Forward(x, 4)
		_ = ws.Backward(dy, g)
		_, _ = ws.InputGrad(dy)
	})
	require.Zero(t, n)
}

// The patch copies of the conv preset's three layers, 32 images each (a
// Langevin shard).
func BenchmarkIm2colCol2im(b *testing.B) {
	arch, err := ConvArch(28, 28, 1, []ConvSpec{{32, 4, 2, 1}, {64, 4, 2, 1}, {128, 3, 2, 1}}, nil, 10)
	require.NoError(b, err)
	geo, err := arch.convGeometry()
	require.NoError(b, err)
	const n = 32
	for _, c := range geo {
		x := make([]float32, n*c.In())
		p := make([]float32, n*c.OutH*c.OutW*c.patch)
		b.Run(fmt.Sprintf("%dx%dx%d-k%d/im2col", c.InH, c.InW, c.InC, c.K), func(b *testing.B) {
			for b.Loop() {
				im2col(c, p, x, n)
			}
		})
		b.Run(fmt.Sprintf("%dx%dx%d-k%d/col2im", c.InH, c.InW, c.InC, c.K), func(b *testing.B) {
			for b.Loop() {
				col2im(c, x, p, n)
			}
		})
	}
}

// The input gradient of the conv preset's three layers, 32 images each (a
// Langevin shard), by phases where the layer has them and through patch
// gradients and col2im on every layer. GFLOP/s counts the product's
// multiply-adds: 2 x images x output pixels x K*K*InC x OutC.
func BenchmarkConvInputGradient(b *testing.B) {
	const n = 32
	rng := rand.New(rand.NewPCG(11, 12))
	for _, cc := range []convCase{{28, 28, 1, 32, 4, 2, 1, n}, {14, 14, 32, 64, 4, 2, 1, n}, {7, 7, 64, 128, 3, 2, 1, n}} {
		for _, way := range []string{"phases", "col2im"} {
			if way == "phases" && cc.inC < minTransposedInC {
				continue
			}
			b.Run(fmt.Sprintf("%dx%dx%d-k%d/%s", cc.h, cc.w, cc.inC, cc.k, way), func(b *testing.B) {
				if way == "col2im" {
					defer func(v int) { minTransposedInC = v }(minTransposedInC)
					minTransposedInC = math.MaxInt
				}
				m, l := newConvCase(b, cc, rng)
				c := l.Conv
				ws := m.NewWorkspace(n)
				_, err := ws.Forward(randVec(rng, n*c.In(), 1), n)
				require.NoError(b, err)
				dy := randVec(rng, n*c.Out(), 1)
				for b.Loop() {
					if _, err := ws.InputGrad(dy); err != nil {
						b.Fatal(err)
					}
				}
				flops := 2 * float64(n*c.OutH*c.OutW*c.patch*c.OutC)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
