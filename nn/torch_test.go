package nn

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ebm-project/ebm/internal/safetensors"
	"github.com/stretchr/testify/require"
)

// torchForward is PyTorch's EnergyNet written out from its definition, on
// the tensors as PyTorch holds them: x channels first (C, H, W); Conv2d
// y[o][i][j] = b[o] + sum w[o][c][u][v] x[c][i*s-p+u][j*s-p+v]; Flatten in
// (C, H, W) order; Linear y = W x + b with W [out, in]; ELU between.
func torchForward(a Arch, ts []safetensors.Tensor, x []float64) []float64 {
	get := func(name string) safetensors.Tensor {
		for _, t := range ts {
			if t.Name == name {
				return t
			}
		}
		panic(name)
	}
	elu := func(v []float64) {
		for i, z := range v {
			if z < 0 {
				v[i] = math.Expm1(z)
			}
		}
	}
	idx := 0
	if len(a.Convs) > 0 {
		h, w, c := a.Shape[0], a.Shape[1], a.Shape[2]
		for _, cv := range a.Convs {
			wt, b := get("net."+strconv.Itoa(idx)+".weight"), get("net."+strconv.Itoa(idx)+".bias")
			oh, ow := (h+2*cv.Pad-cv.K)/cv.Stride+1, (w+2*cv.Pad-cv.K)/cv.Stride+1
			y := make([]float64, cv.Channels*oh*ow)
			for o := range cv.Channels {
				for i := range oh {
					for j := range ow {
						s := float64(b.Data[o])
						for ch := range c {
							for u := range cv.K {
								for v := range cv.K {
									r, q := i*cv.Stride-cv.Pad+u, j*cv.Stride-cv.Pad+v
									if r >= 0 && r < h && q >= 0 && q < w {
										s += float64(wt.Data[((o*c+ch)*cv.K+u)*cv.K+v]) * x[(ch*h+r)*w+q]
									}
								}
							}
						}
						y[(o*oh+i)*ow+j] = s
					}
				}
			}
			elu(y)
			x, h, w, c = y, oh, ow, cv.Channels
			idx += 2
		}
		idx++ // Flatten: x is already (C, H, W) in order
	}
	for li := 0; li+1 < len(a.Sizes); li++ {
		wt, b := get("net."+strconv.Itoa(idx)+".weight"), get("net."+strconv.Itoa(idx)+".bias")
		in, out := wt.Shape[1], wt.Shape[0]
		y := make([]float64, out)
		for o := range out {
			s := float64(b.Data[o])
			for j := range in {
				s += float64(wt.Data[o*in+j]) * x[j]
			}
			y[o] = s
		}
		if li+2 < len(a.Sizes) {
			elu(y)
		}
		x = y
		idx += 2
	}
	return x
}

// The exported tensors are PyTorch's EnergyNet: PyTorch's forward pass,
// written out here from its definition on those tensors (images channels
// first), gives the logits this network gives, for an MLP and for a
// convolutional network on RGB images with padding and stride.
func TestTorchTensorsAreEnergyNet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	conv, err := ConvArch(9, 7, 3, []ConvSpec{{4, 3, 1, 1}, {5, 3, 2, 1}}, []int{6}, 4)
	require.NoError(t, err)
	for _, a := range []Arch{MLPArch(12, 8, 8, 3), conv} {
		m, err := New(a, rng)
		require.NoError(t, err)
		ts := m.TorchTensors()
		in := a.In()
		x := make([]float32, in)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		z, err := m.NewWorkspace(1).Forward(x, 1)
		require.NoError(t, err)
		chw := make([]float64, in) // our HWC image as PyTorch's CHW
		if len(a.Convs) > 0 {
			h, w, c := a.Shape[0], a.Shape[1], a.Shape[2]
			for i := range h * w {
				for ch := range c {
					chw[ch*h*w+i] = float64(x[i*c+ch])
				}
			}
		} else {
			for i, v := range x {
				chw[i] = float64(v)
			}
		}
		want := torchForward(a, ts, chw)
		for k := range want {
			require.InDelta(t, want[k], float64(z[k]), 1e-5, "%v: logit %d", a, k)
		}
	}
}

// From PyTorch and back gives the same network, bit for bit; the layout
// is read from the tensors (and, for convolutions, the specs and shape,
// which weights do not hold); strict as load_state_dict is.
func TestFromTorchRoundTripsStrictly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	conv, err := ConvArch(8, 8, 1, []ConvSpec{{3, 4, 2, 1}}, nil, 10)
	require.NoError(t, err)
	for _, a := range []Arch{MLPArch(784, 16, 16, 16, 10), conv} {
		m, err := New(a, rng)
		require.NoError(t, err)
		ts := m.TorchTensors()
		got, err := TorchArch(ts, a.Shape, a.Convs)
		require.NoError(t, err)
		require.True(t, got.Equal(a), "%v read as %v", a, got)
		back, err := FromTorch(got, ts)
		require.NoError(t, err)
		for li := range m.Layers {
			require.Equal(t, m.Layers[li].W, back.Layers[li].W)
			require.Equal(t, m.Layers[li].B, back.Layers[li].B)
		}
		_, err = FromTorch(a, append(ts[:len(ts):len(ts)], safetensors.Tensor{Name: "net.99.weight", Shape: []int{1}, Data: []float32{0}}))
		require.ErrorContains(t, err, "net.99.weight")
		_, err = FromTorch(a, ts[1:])
		require.ErrorContains(t, err, "no tensor net.0.weight")
	}
	mlp := MLPArch(784, 512, 512, 512, 10)
	m, _ := New(mlp, rng)
	names := []string{}
	for _, t := range m.TorchTensors() {
		names = append(names, t.Name)
	}
	require.Equal(t, []string{"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias", "net.6.weight", "net.6.bias"}, names, "the original EnergyNet's names")
	require.Equal(t, []int{512, 784}, m.TorchTensors()[0].Shape)
	_, err = TorchArch(conv2(t), nil, nil)
	require.ErrorContains(t, err, "--convs")
}

func conv2(t *testing.T) []safetensors.Tensor {
	a, err := ConvArch(8, 8, 1, []ConvSpec{{3, 4, 2, 1}}, nil, 10)
	require.NoError(t, err)
	m, err := New(a, nil)
	require.NoError(t, err)
	return m.TorchTensors()
}
