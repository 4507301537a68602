package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

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
	return append(out, convCase{28, 28, 1, 32, 3, 1, 1, 2}, convCase{14, 14, 32, 64, 3, 2, 1, 2},
		convCase{7, 7, 64, 5, 3, 1, 0, 3}, convCase{4, 4, 3, 64, 4, 1, 0, 1})
}

func newConvCase(t *testing.T, cc convCase, rng *rand.Rand) *Conv2D {
	t.Helper()
	c, err := NewConv2D(cc.h, cc.w, cc.inC, cc.outC, cc.k, cc.stride, cc.pad, rng)
	require.NoError(t, err)
	return c
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
// sum over the kernel of W[oc][ky][kx][ic] * x[img][oy*S-P+ky][ox*S-P+kx][ic].
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
									f(yi, oc*c.patch+(ky*c.K+kx)*c.InC+ic, xi)
								}
							}
						}
					}
				}
			}
		}
	}
}

func refConv(c *Conv2D, x []float32, n int) (y, mag []float64) {
	y, mag = make([]float64, n*c.Out()), make([]float64, n*c.Out())
	for i := range y {
		y[i] = float64(c.B[i%c.OutC])
		mag[i] = math.Abs(y[i])
	}
	visit(c, n, func(yi, wi, xi int) {
		t := float64(c.W[wi]) * float64(x[xi])
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
			c := newConvCase(t, cc, rng)
			x := randVec(rng, cc.n*c.In(), 1)
			x0 := append([]float32(nil), x...)
			y := make([]float32, (cc.n+1)*c.Out())
			for i := range y {
				y[i] = -7777.25
			}
			ws := c.NewWorkspace(cc.n + 1)
			require.NoError(t, ws.Forward(y, x, cc.n))
			want, mag := refConv(c, x, cc.n)
			for i, w := range want {
				tol := 4 * float64(c.patch+2) * 0x1p-24 * mag[i]
				require.InDelta(t, w, float64(y[i]), tol+1e-30, "y[%d]", i)
			}
			for _, v := range y[cc.n*c.Out():] {
				require.Equal(t, float32(-7777.25), v, "written past the batch")
			}
			require.Equal(t, x0, x, "input changed")
		})
	}
}

// refBackward is the adjoint of the definition, in float64: each term
// w*x of y contributes dy*x to dW, dy*w to dx; dB sums dy.
func refBackward(c *Conv2D, x, dy []float32, n int) (dx, dW, dB []float64) {
	dx, dW, dB = make([]float64, n*c.In()), make([]float64, len(c.W)), make([]float64, len(c.B))
	visit(c, n, func(yi, wi, xi int) {
		dW[wi] += float64(dy[yi]) * float64(x[xi])
		dx[xi] += float64(dy[yi]) * float64(c.W[wi])
	})
	for i, v := range dy[:n*c.Out()] {
		dB[i%c.OutC] += float64(v)
	}
	return dx, dW, dB
}

// The backward pass is the adjoint of the forward one, over every shape:
// the gradients to the weights, the bias and the input agree with the
// float64 reference; gradients accumulate into dW and dB.
func TestConvBackwardIsTheAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cc := range convCases() {
		t.Run(cc.String(), func(t *testing.T) {
			c := newConvCase(t, cc, rng)
			x := randVec(rng, cc.n*c.In(), 1)
			dy := randVec(rng, cc.n*c.Out(), 1)
			ws := c.NewWorkspace(cc.n)
			require.NoError(t, ws.Forward(make([]float32, cc.n*c.Out()), x, cc.n))
			dx := randVec(rng, cc.n*c.In(), 1) // overwritten
			dW, dB := randVec(rng, len(c.W), 1), randVec(rng, len(c.B), 1)
			dW0, dB0 := append([]float32(nil), dW...), append([]float32(nil), dB...)
			require.NoError(t, ws.Backward(dx, dW, dB, dy))
			wantX, wantW, wantB := refBackward(c, x, dy, cc.n)
			for i := range wantW {
				wantW[i] += float64(dW0[i])
			}
			for i := range wantB {
				wantB[i] += float64(dB0[i])
			}
			require.Less(t, relErr(dx, wantX), 1e-5, "dx")
			require.Less(t, relErr(dW, wantW), 1e-5, "dW")
			require.Less(t, relErr(dB, wantB), 1e-5, "dB")
		})
	}
}

// Central finite differences of L = sum(c * conv(x)) agree with Backward for
// the weights, the bias and the input, to the float32 noise of a difference.
func TestConvGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cc := range []convCase{{6, 5, 2, 3, 3, 1, 1, 2}, {7, 7, 3, 2, 3, 2, 1, 1}, {5, 6, 1, 4, 2, 2, 0, 2}} {
		t.Run(cc.String(), func(t *testing.T) {
			c := newConvCase(t, cc, rng)
			x := randVec(rng, cc.n*c.In(), 1)
			coef := randVec(rng, cc.n*c.Out(), 1)
			ws := c.NewWorkspace(cc.n)
			y := make([]float32, cc.n*c.Out())
			loss := func() float64 {
				require.NoError(t, ws.Forward(y, x, cc.n))
				var s float64
				for i, v := range y {
					s += float64(v) * float64(coef[i])
				}
				return s
			}
			loss()
			dx, dW, dB := make([]float32, len(x)), make([]float32, len(c.W)), make([]float32, len(c.B))
			require.NoError(t, ws.Backward(dx, dW, dB, coef))
			const h = 1e-2
			for _, p := range []struct {
				name string
				v    []float32
				grad []float32
			}{{"x", x, dx}, {"W", c.W, dW}, {"b", c.B, dB}} {
				fd := make([]float64, len(p.v))
				for i := range p.v {
					v := p.v[i]
					p.v[i] = v + h
					up := loss()
					p.v[i] = v - h
					down := loss()
					p.v[i] = v
					fd[i] = (up - down) / (2 * h)
				}
				require.Less(t, relErr(p.grad, fd), 2e-3, p.name)
			}
		})
	}
}

// col2im is im2col's adjoint: <im2col(x), P> = <x, col2im(P)> for any x and
// P; so col2im(im2col(x)) is x times the number of patches covering each
// pixel.
func TestCol2imIsTheAdjointOfIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cc := range convCases() {
		c := newConvCase(t, cc, nil)
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
		_, err := NewConv2D(bad.h, bad.w, bad.inC, bad.outC, bad.k, bad.stride, bad.pad, nil)
		require.Error(t, err, bad.String())
	}
	c, err := NewConv2D(5, 5, 1, 2, 3, 1, 1, nil)
	require.NoError(t, err)
	ws := c.NewWorkspace(2)
	require.ErrorContains(t, ws.Forward(make([]float32, 3*c.Out()), make([]float32, 3*c.In()), 3), "batch 3")
	require.ErrorContains(t, ws.Forward(make([]float32, 2*c.Out()), make([]float32, c.In()), 2), "input")
	require.NoError(t, ws.Forward(make([]float32, c.Out()), make([]float32, c.In()), 1))
	require.ErrorContains(t, ws.Backward(nil, make([]float32, 3), nil, make([]float32, c.Out())), "gradients")
	require.ErrorContains(t, ws.Backward(nil, nil, make([]float32, len(c.B)), nil), "output gradient")
	require.ErrorContains(t, ws.Forward(make([]float32, c.Out()), nil, 1), "input")
}

// A forward and backward pass allocate nothing: they run in every Langevin
// step.
func TestConvAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops objects)")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	c, err := NewConv2D(14, 14, 8, 16, 3, 2, 1, rng)
	require.NoError(t, err)
	ws := c.NewWorkspace(4)
	x, y := randVec(rng, 4*c.In(), 1), make([]float32, 4*c.Out())
	dx, dW, dB := make([]float32, len(x)), make([]float32, len(c.W)), make([]float32, len(c.B))
	allocs := testing.AllocsPerRun(10, func() {
		require.NoError(t, ws.Forward(y, x, 4))
		require.NoError(t, ws.Backward(dx, dW, dB, y))
	})
	require.Zero(t, allocs)
}
