package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/kernels"
)

// Conv2D is a 2-D convolution with square kernels, a stride and zero
// padding, over images stored channels last: pixel (y, x) of an H x W x C
// image holds its C channels at [(y*W+x)*C, (y*W+x+1)*C). A grey MNIST
// digit (C = 1) is its 784 floats as they are.
//
// The products run as GEMMs on the image's patches (im2col.go): with P
// output pixels and KKC = K*K*InC values per patch,
//
//	forward    Y (P x OutC)   = Patches (P x KKC) * W^T  + b
//	weights    dW (OutC x KKC) += dY^T * Patches
//	input      dPatches        = dY * W, summed back onto the pixels
type Conv2D struct {
	InH, InW, InC   int
	OutC, K         int
	Stride, Pad     int
	OutH, OutW      int
	W               []float32 // OutC x KKC: W[oc][(ky*K+kx)*InC+ic]
	B               []float32 // OutC
	patch, inPixels int       // KKC, and InH*InW*InC
}

// NewConv2D returns a convolution with PyTorch's default initialisation,
// weights and biases uniform in [-1/sqrt(KKC), 1/sqrt(KKC)]; a nil rng
// leaves them zero (for loading).
func NewConv2D(inH, inW, inC, outC, k, stride, pad int, rng *rand.Rand) (*Conv2D, error) {
	switch {
	case inH < 1 || inW < 1 || inC < 1 || outC < 1:
		return nil, fmt.Errorf("nn: conv %dx%dx%d -> %d channels: sizes must be positive", inH, inW, inC, outC)
	case k < 1 || stride < 1 || pad < 0:
		return nil, fmt.Errorf("nn: conv kernel %d, stride %d, padding %d: kernel and stride must be positive, padding not negative", k, stride, pad)
	case pad >= k:
		return nil, fmt.Errorf("nn: conv padding %d: must be below the kernel size %d", pad, k)
	case inH+2*pad < k || inW+2*pad < k:
		return nil, fmt.Errorf("nn: conv kernel %d: larger than the padded %dx%d image", k, inH+2*pad, inW+2*pad)
	}
	c := &Conv2D{InH: inH, InW: inW, InC: inC, OutC: outC, K: k, Stride: stride, Pad: pad,
		OutH: (inH+2*pad-k)/stride + 1, OutW: (inW+2*pad-k)/stride + 1,
		patch: k * k * inC, inPixels: inH * inW * inC}
	c.W = make([]float32, outC*c.patch)
	c.B = make([]float32, outC)
	if rng != nil {
		bound := 1 / math.Sqrt(float64(c.patch))
		for _, p := range [][]float32{c.W, c.B} {
			for i := range p {
				p[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
	}
	return c, nil
}

// In and Out are the floats of one input and one output image.
func (c *Conv2D) In() int  { return c.inPixels }
func (c *Conv2D) Out() int { return c.OutH * c.OutW * c.OutC }

// ConvWorkspace holds the patches of one batch, which the backward pass
// reuses, and room for their gradient. One goroutine uses it at a time.
type ConvWorkspace struct {
	c        *Conv2D
	maxBatch int
	n        int // images in the last forward pass
	patches  []float32
	dPatches []float32
}

// NewWorkspace allocates the buffers for batches of up to maxBatch images.
func (c *Conv2D) NewWorkspace(maxBatch int) *ConvWorkspace {
	rows := maxBatch * c.OutH * c.OutW
	return &ConvWorkspace{c: c, maxBatch: maxBatch, patches: make([]float32, rows*c.patch), dPatches: make([]float32, rows*c.patch)}
}

// convBuf is a caller's buffer of per floats an image, for check; an
// optional one may be nil.
type convBuf struct {
	name     string
	buf      []float32
	per      int
	optional bool
}

// check refuses a batch larger than the workspace's or a buffer too short
// for n images.
func (ws *ConvWorkspace) check(n int, bufs ...convBuf) error {
	if n < 0 || n > ws.maxBatch {
		return fmt.Errorf("nn: conv batch %d: outside [0, %d]", n, ws.maxBatch)
	}
	for _, b := range bufs {
		if !(b.optional && b.buf == nil) && len(b.buf) < n*b.per {
			return fmt.Errorf("nn: conv %s: %d floats, %d images need %d", b.name, len(b.buf), n, n*b.per)
		}
	}
	return nil
}

// Forward writes y = conv(x) + b for n images (x: n x In(), y: n x Out())
// and keeps x's patches for Backward.
func (ws *ConvWorkspace) Forward(y, x []float32, n int) error {
	c := ws.c
	if err := ws.check(n, convBuf{"input", x, c.In(), false}, convBuf{"output", y, c.Out(), false}); err != nil {
		return err
	}
	ws.n = n
	if n == 0 {
		return nil
	}
	im2col(c, ws.patches, x, n)
	rows := n * c.OutH * c.OutW
	for r := range rows {
		copy(y[r*c.OutC:(r+1)*c.OutC], c.B)
	}
	return kernels.Sgemm(false, true, rows, c.OutC, c.patch, 1, ws.patches, c.patch, c.W, c.patch, 1, y, c.OutC)
}

// Backward takes dy, the loss gradient at the last Forward's output, and
// adds the weight and bias gradients into dW and dB, and writes the input
// gradient into dx. Any of the three may be nil: Langevin dynamics wants dx
// alone.
func (ws *ConvWorkspace) Backward(dx, dW, dB, dy []float32) error {
	c, n := ws.c, ws.n
	if err := ws.check(n, convBuf{"output gradient", dy, c.Out(), false}, convBuf{"input gradient", dx, c.In(), true}); err != nil {
		return err
	}
	if dW != nil && len(dW) != len(c.W) || dB != nil && len(dB) != len(c.B) {
		return fmt.Errorf("nn: conv gradients: %d and %d floats, want %d and %d", len(dW), len(dB), len(c.W), len(c.B))
	}
	if n == 0 {
		return nil
	}
	rows := n * c.OutH * c.OutW
	if dW != nil {
		if err := kernels.Sgemm(true, false, c.OutC, c.patch, rows, 1, dy, c.OutC, ws.patches, c.patch, 1, dW, c.patch); err != nil {
			return err
		}
	}
	if dB != nil {
		for r := range rows {
			for o, v := range dy[r*c.OutC : (r+1)*c.OutC] {
				dB[o] += v
			}
		}
	}
	if dx != nil {
		if err := kernels.Sgemm(false, false, rows, c.patch, c.OutC, 1, dy, c.OutC, c.W, c.patch, 0, ws.dPatches, c.patch); err != nil {
			return err
		}
		col2im(c, dx, ws.dPatches, n)
	}
	return nil
}
