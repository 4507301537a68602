package nn

import "fmt"

// Conv2D is the geometry of a 2-D convolution with square kernels, a stride
// and zero padding, over images stored channels last: pixel (y, x) of an
// H x W x C image holds its C channels at [(y*W+x)*C, (y*W+x+1)*C). A grey
// MNIST digit (C = 1) is its 784 floats as they are.
//
// Its Layer runs the products as GEMMs on the image's patches: with P
// output pixels and KKC = K*K*InC values per patch,
//
//	forward    Y (P x OutC)   = Patches (P x KKC) * W (KKC x OutC) + b
//	weights    dW (KKC x OutC) += Patches^T * dY
//	input      dPatches        = dY * W^T, summed back onto the pixels
//
// The forward product reads the patches where they lie in the zero-padded
// input (padded.go); the weight gradient reads them copied out. The input
// gradient is a convolution of dY computed by phases of the stride
// (transposed.go), or, with few input channels, sums its patch gradients
// onto the pixels (im2col.go).
//
// W[(ky*K+kx)*InC+ic][oc] weighs input channel ic at kernel offset (ky, kx)
// for output channel oc.
type Conv2D struct {
	InH, InW, InC   int
	OutC, K         int
	Stride, Pad     int
	OutH, OutW      int
	patch, inPixels int // KKC, and InH*InW*InC
}

// maxConvSize bounds every size of a convolution.
const maxConvSize = 1 << 16

// NewConv2D checks and completes a convolution's geometry.
func NewConv2D(inH, inW, inC, outC, k, stride, pad int) (*Conv2D, error) {
	switch {
	case inH < 1 || inW < 1 || inC < 1 || outC < 1:
		return nil, fmt.Errorf("nn: conv %dx%dx%d -> %d channels: sizes must be positive", inH, inW, inC, outC)
	case max(inH, inW, inC, outC, k, stride, pad) > maxConvSize: // products of these stay far from overflowing
		return nil, fmt.Errorf("nn: conv %dx%dx%d -> %d channels, kernel %d, stride %d, padding %d: a size above %d", inH, inW, inC, outC, k, stride, pad, maxConvSize)
	case k < 1 || stride < 1 || pad < 0:
		return nil, fmt.Errorf("nn: conv kernel %d, stride %d, padding %d: kernel and stride must be positive, padding not negative", k, stride, pad)
	case pad >= k:
		return nil, fmt.Errorf("nn: conv padding %d: must be below the kernel size %d", pad, k)
	case inH+2*pad < k || inW+2*pad < k:
		return nil, fmt.Errorf("nn: conv kernel %d: larger than the padded %dx%d image", k, inH+2*pad, inW+2*pad)
	}
	return &Conv2D{InH: inH, InW: inW, InC: inC, OutC: outC, K: k, Stride: stride, Pad: pad,
		OutH: (inH+2*pad-k)/stride + 1, OutW: (inW+2*pad-k)/stride + 1,
		patch: k * k * inC, inPixels: inH * inW * inC}, nil
}

// In and Out are the floats of one input and one output image.
func (c *Conv2D) In() int  { return c.inPixels }
func (c *Conv2D) Out() int { return c.OutH * c.OutW * c.OutC }
