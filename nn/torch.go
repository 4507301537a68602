package nn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ebm-project/ebm/internal/safetensors"
)

// PyTorch's layout of a network, as the original project's EnergyNet holds
// it: one nn.Sequential named net, its modules numbered from 0, an ELU
// after every layer but the last (so the layers sit at even indices):
//
//	MLP:  net.0 Linear, net.1 ELU, net.2 Linear, ... (784-512-512-512-10:
//	      net.0, net.2, net.4, net.6)
//	CNN:  net.0 Conv2d, net.1 ELU, ... net.2c Flatten, net.2c+1 Linear, ...
//
// and PyTorch's conventions: a Linear's weight is [out, in]; a Conv2d's is
// [out channels, in channels, kernel rows, kernel columns]; images are
// channels first, so Flatten orders a convolution's output channel by
// channel. Here a layer's W is [in, out], a convolution's rows are
// (kernel row, kernel column, in channel), and images are channels last:
// the first dense layer after the convolutions has its inputs reordered.

// torchIndex is the Sequential index of layer li of m.
func (m *Net) torchIndex(li int) int {
	nc := len(m.Arch.Convs)
	if li < nc || nc == 0 {
		return 2 * li
	}
	return 2*nc + 1 + 2*(li-nc) // past the last conv's ELU and the Flatten
}

// torchInput maps input j of the first dense layer behind the
// convolutions from PyTorch's channels-first order to ours.
func (m *Net) torchInput(li int) func(j int) int {
	nc := len(m.Arch.Convs)
	if nc == 0 || li != nc {
		return func(j int) int { return j }
	}
	c := m.Layers[nc-1].Conv
	hw := c.OutH * c.OutW
	return func(j int) int { // j = ch*hw + pixel -> pixel*OutC + ch
		ch, px := j/hw, j%hw
		return px*c.OutC + ch
	}
}

// TorchTensors are the network's parameters under EnergyNet's names, in
// PyTorch's layouts, in the order of its state_dict.
func (m *Net) TorchTensors() []safetensors.Tensor {
	var out []safetensors.Tensor
	for li, l := range m.Layers {
		name := "net." + strconv.Itoa(m.torchIndex(li))
		w := make([]float32, len(l.W))
		var shape []int
		if c := l.Conv; c != nil {
			shape = []int{c.OutC, c.InC, c.K, c.K}
			for oc := range c.OutC {
				for ic := range c.InC {
					for ky := range c.K {
						for kx := range c.K {
							w[((oc*c.InC+ic)*c.K+ky)*c.K+kx] = l.W[((ky*c.K+kx)*c.InC+ic)*l.Out+oc]
						}
					}
				}
			}
		} else {
			shape = []int{l.Out, l.In}
			in := m.torchInput(li)
			for o := range l.Out {
				for j := range l.In {
					w[o*l.In+j] = l.W[in(j)*l.Out+o]
				}
			}
		}
		out = append(out, safetensors.Tensor{Name: name + ".weight", Shape: shape, Data: w},
			safetensors.Tensor{Name: name + ".bias", Shape: []int{l.Out}, Data: slices.Clone(l.B)})
	}
	return out
}

// FromTorch builds the network of arch from PyTorch tensors named and laid
// out as TorchTensors writes them: every tensor must be there with its
// shape, and no other (load_state_dict's strict=True).
func FromTorch(arch Arch, tensors []safetensors.Tensor) (*Net, error) {
	m, err := New(arch, nil)
	if err != nil {
		return nil, err
	}
	byName := map[string]safetensors.Tensor{}
	for _, t := range tensors {
		byName[t.Name] = t
	}
	want := m.TorchTensors()
	for _, w := range want {
		t, ok := byName[w.Name]
		if !ok {
			return nil, fmt.Errorf("nn: no tensor %s %v for the %v network", w.Name, w.Shape, arch)
		}
		if !slices.Equal(t.Shape, w.Shape) {
			return nil, fmt.Errorf("nn: %s has shape %v; the %v network needs %v", w.Name, t.Shape, arch, w.Shape)
		}
		delete(byName, w.Name)
	}
	if len(byName) > 0 {
		extra := slices.Sorted(func(yield func(string) bool) {
			for n := range byName {
				if !yield(n) {
					return
				}
			}
		})
		return nil, fmt.Errorf("nn: tensors %s are not part of the %v network", strings.Join(extra, ", "), arch)
	}
	get := func(name string) []float32 {
		for _, t := range tensors {
			if t.Name == name {
				return t.Data
			}
		}
		return nil
	}
	for li, l := range m.Layers {
		name := "net." + strconv.Itoa(m.torchIndex(li))
		w := get(name + ".weight")
		if c := l.Conv; c != nil {
			for oc := range c.OutC {
				for ic := range c.InC {
					for ky := range c.K {
						for kx := range c.K {
							l.W[((ky*c.K+kx)*c.InC+ic)*l.Out+oc] = w[((oc*c.InC+ic)*c.K+ky)*c.K+kx]
						}
					}
				}
			}
		} else {
			in := m.torchInput(li)
			for o := range l.Out {
				for j := range l.In {
					l.W[in(j)*l.Out+o] = w[o*l.In+j]
				}
			}
		}
		copy(l.B, get(name+".bias"))
	}
	m.Sync()
	return m, nil
}

// TorchArch reads a network's architecture from PyTorch tensors named as
// TorchTensors writes them. Weights do not say a convolution's stride and
// padding, nor the image's size: convs and shape (height, width, channels)
// give them, and must match the weights; an MLP needs neither.
func TorchArch(tensors []safetensors.Tensor, shape []int, convs []ConvSpec) (Arch, error) {
	type layer struct {
		index int
		shape []int
	}
	var layers []layer
	for _, t := range tensors {
		rest, ok := strings.CutPrefix(t.Name, "net.")
		idx, field, ok2 := strings.Cut(rest, ".")
		i, err := strconv.Atoi(idx)
		if !ok || !ok2 || err != nil || field != "weight" && field != "bias" {
			return Arch{}, fmt.Errorf("nn: tensor %q is not an EnergyNet parameter (net.N.weight or net.N.bias)", t.Name)
		}
		if field == "weight" {
			layers = append(layers, layer{i, t.Shape})
		}
	}
	slices.SortFunc(layers, func(a, b layer) int { return a.index - b.index })
	nc := 0
	for nc < len(layers) && len(layers[nc].shape) == 4 {
		nc++
	}
	if len(layers) == nc {
		return Arch{}, fmt.Errorf("nn: no Linear layer among the tensors")
	}
	if nc != len(convs) {
		return Arch{}, fmt.Errorf("nn: the weights hold %d convolutions, and %d are described (--convs)", nc, len(convs))
	}
	var sizes []int
	for i, l := range layers[nc:] {
		if len(l.shape) != 2 {
			return Arch{}, fmt.Errorf("nn: net.%d.weight has shape %v: a Linear weight is [out, in]", l.index, l.shape)
		}
		if i == 0 {
			sizes = append(sizes, l.shape[1])
		} else if l.shape[1] != sizes[len(sizes)-1] {
			return Arch{}, fmt.Errorf("nn: net.%d.weight takes %d inputs; the layer before gives %d", l.index, l.shape[1], sizes[len(sizes)-1])
		}
		sizes = append(sizes, l.shape[0])
	}
	if nc == 0 {
		a := MLPArch(sizes...)
		if len(shape) == 3 {
			a.Shape = slices.Clone(shape)
		}
		return a, a.Validate()
	}
	for i, l := range layers[:nc] {
		if l.shape[0] != convs[i].Channels || l.shape[2] != convs[i].K || l.shape[3] != convs[i].K {
			return Arch{}, fmt.Errorf("nn: net.%d.weight has shape %v; convolution %s needs [%d, in, %d, %d]", l.index, l.shape, convs[i], convs[i].Channels, convs[i].K, convs[i].K)
		}
	}
	if len(shape) != 3 {
		return Arch{}, fmt.Errorf("nn: a convolutional network needs its input shape (height, width, channels)")
	}
	a, err := ConvArch(shape[0], shape[1], shape[2], convs, sizes[1:len(sizes)-1], sizes[len(sizes)-1])
	if err != nil {
		return Arch{}, err
	}
	if a.Sizes[0] != sizes[0] {
		return Arch{}, fmt.Errorf("nn: the first Linear takes %d inputs; the convolutions on %v give %d", sizes[0], shape, a.Sizes[0])
	}
	return a, nil
}
