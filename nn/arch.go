package nn

import (
	"fmt"
	"strings"
)

// ConvSpec is one convolution of an architecture: its output channels, its
// square kernel's side, its stride and its zero padding.
type ConvSpec struct {
	Channels int `json:"channels"`
	K        int `json:"k"`
	Stride   int `json:"stride"`
	Pad      int `json:"pad"`
}

// Arch describes a network: convolutions (each followed by ELU) on an input
// image, then dense layers (ELU between them). Checkpoints store it, so a
// file says what it holds.
type Arch struct {
	// Shape is the input image, height x width x channels (stored channels
	// last); convolutions need it, an MLP leaves it empty.
	Shape []int      `json:"shape,omitempty"`
	Convs []ConvSpec `json:"convs,omitempty"`
	// Sizes are the dense layers' widths, from their input to the output.
	// Behind convolutions Sizes[0] is the last convolution's output
	// flattened; a lone Sizes[0] there means no dense layer.
	Sizes []int `json:"sizes"`
}

// MLPArch is the multilayer perceptron with these widths, input first.
func MLPArch(sizes ...int) Arch { return Arch{Sizes: append([]int(nil), sizes...)} }

// ConvArch is convolutions on an h x w x c image, then dense layers of the
// given widths down to out outputs.
func ConvArch(h, w, c int, convs []ConvSpec, hidden []int, out int) (Arch, error) {
	a := Arch{Shape: []int{h, w, c}, Convs: append([]ConvSpec(nil), convs...)}
	geo, err := a.convGeometry()
	if err != nil {
		return Arch{}, err
	}
	flat := h * w * c
	if len(geo) > 0 {
		flat = geo[len(geo)-1].Out()
	}
	a.Sizes = append(append([]int{flat}, hidden...), out)
	return a, nil
}

// convGeometry chains the convolutions from the input shape.
func (a Arch) convGeometry() ([]*Conv2D, error) {
	if len(a.Shape) != 0 && len(a.Shape) != 3 {
		return nil, fmt.Errorf("nn: input shape %v: want height, width, channels", a.Shape)
	}
	for _, d := range a.Shape {
		if d < 1 || d > maxConvSize {
			return nil, fmt.Errorf("nn: input shape %v: each size from 1 to %d", a.Shape, maxConvSize)
		}
	}
	if len(a.Convs) == 0 {
		return nil, nil
	}
	if len(a.Shape) != 3 {
		return nil, fmt.Errorf("nn: input shape %v: convolutions need height, width, channels", a.Shape)
	}
	h, w, c := a.Shape[0], a.Shape[1], a.Shape[2]
	var out []*Conv2D
	for i, s := range a.Convs {
		g, err := NewConv2D(h, w, c, s.Channels, s.K, s.Stride, s.Pad)
		if err != nil {
			return nil, fmt.Errorf("convolution %d: %w", i+1, err)
		}
		out = append(out, g)
		h, w, c = g.OutH, g.OutW, g.OutC
	}
	return out, nil
}

// MaxParams bounds a network's weights and biases: 1 GiB of float32, some
// 800 times the default MLP.
const MaxParams = 1 << 28

// Validate reports the first inconsistency: a convolution that does not
// fit, or dense widths that do not start at the convolutions' output.
func (a Arch) Validate() error {
	geo, err := a.convGeometry()
	if err != nil {
		return err
	}
	if len(geo) == 0 && len(a.Sizes) < 2 {
		return fmt.Errorf("nn: sizes %v: need at least an input and an output size", a.Sizes)
	}
	if len(a.Sizes) < 1 {
		return fmt.Errorf("nn: sizes %v: need the convolutions' output width", a.Sizes)
	}
	for i, s := range a.Sizes {
		if s <= 0 {
			return fmt.Errorf("nn: sizes[%d] = %d: sizes must be positive", i, s)
		}
	}
	if len(geo) > 0 && a.Sizes[0] != geo[len(geo)-1].Out() {
		return fmt.Errorf("nn: sizes[0] = %d: the last convolution gives %d", a.Sizes[0], geo[len(geo)-1].Out())
	}
	// Sizes come from files and flags: bound the weights before anything
	// multiplies widths (no overflow) or allocates them.
	total := 0
	add := func(in, out int) error {
		if in > MaxParams/out || total+in*out+out > MaxParams {
			return fmt.Errorf("nn: %v: more than %d weights", a.Sizes, MaxParams)
		}
		total += in*out + out
		return nil
	}
	for _, g := range geo {
		if err := add(g.patch, g.OutC); err != nil {
			return err
		}
	}
	for i := 0; i+1 < len(a.Sizes); i++ {
		if err := add(a.Sizes[i], a.Sizes[i+1]); err != nil {
			return err
		}
	}
	if len(a.Shape) == 3 && len(geo) == 0 && a.Shape[0]*a.Shape[1]*a.Shape[2] != a.Sizes[0] {
		return fmt.Errorf("nn: sizes[0] = %d: the %v input has %d values", a.Sizes[0], a.Shape, a.Shape[0]*a.Shape[1]*a.Shape[2])
	}
	return nil
}

// In and Out are the input and output widths.
func (a Arch) In() int {
	if len(a.Shape) == 3 {
		return a.Shape[0] * a.Shape[1] * a.Shape[2]
	}
	return a.Sizes[0]
}
func (a Arch) Out() int { return a.Sizes[len(a.Sizes)-1] }

// Equal reports whether a and b describe the same network.
func (a Arch) Equal(b Arch) bool { return a.String() == b.String() }

// String is the compact form used in logs and errors: an MLP as its widths
// (784-512-512-512-10), a convolutional net as its input, its convolutions
// (channels c kernel s stride p padding) and its dense widths
// (28x28x1 16c3s1p1 32c4s2p1 1568-10).
func (a Arch) String() string {
	var parts []string
	if len(a.Convs) > 0 {
		parts = append(parts, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(a.Shape)), "x"), "[]"))
		for _, c := range a.Convs {
			parts = append(parts, c.String())
		}
	}
	w := make([]string, len(a.Sizes))
	for i, s := range a.Sizes {
		w[i] = fmt.Sprint(s)
	}
	return strings.Join(append(parts, strings.Join(w, "-")), " ")
}

// String is the spec's compact form: 32c3s1p1 is 32 channels, kernel 3,
// stride 1, padding 1.
func (c ConvSpec) String() string {
	return fmt.Sprintf("%dc%ds%dp%d", c.Channels, c.K, c.Stride, c.Pad)
}

// ParseConvs reads comma-separated ConvSpec strings; empty text is no
// convolution.
func ParseConvs(text string) ([]ConvSpec, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var out []ConvSpec
	for _, f := range strings.Split(text, ",") {
		f = strings.TrimSpace(f)
		var c ConvSpec
		var rest string
		n, _ := fmt.Sscanf(f, "%dc%ds%dp%d%s", &c.Channels, &c.K, &c.Stride, &c.Pad, &rest)
		if n != 4 || c.String() != f {
			return nil, fmt.Errorf("%q is not channels c kernel s stride p padding, as in 32c3s1p1", f)
		}
		out = append(out, c)
	}
	return out, nil
}
