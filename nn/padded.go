package nn

import "github.com/ebm-project/ebm/kernels"

// The forward pass of a convolution reads its patches where they lie: the
// input images are copied once into zero-padded images, and the product
// (kernels.SgemmGathered) reads each patch there as K runs of K*InC
// floats, one per kernel row. im2col would write every pixel K*K/Stride^2
// times; the padded copy writes it once. The patches themselves are still
// copied out for the weight gradient (im2col.go), which only a training
// step needs, not a Langevin step.

// paddedSize is the floats of one padded input image:
// (InH+2Pad) x (InW+2Pad) x InC.
func (c *Conv2D) paddedSize() int { return (c.InH + 2*c.Pad) * (c.InW + 2*c.Pad) * c.InC }

// padInto copies n images of x into the interiors of their padded images
// in dst. The borders are never written: zero since dst was made.
func (c *Conv2D) padInto(dst, x []float32, n int) {
	padImages(dst, x, n, c.InH, c.InW, c.InC, c.Pad, c.Pad, c.InH+2*c.Pad, c.InW+2*c.Pad)
}

// patchStarts returns where each output pixel's patch starts in n padded
// images laid end to end: row (img, oy, ox) of the patch matrix, as
// im2col orders them.
func (c *Conv2D) patchStarts(n int) []int {
	wp := c.InW + 2*c.Pad
	starts := make([]int, 0, n*c.OutH*c.OutW)
	for img := range n {
		for oy := range c.OutH {
			for ox := range c.OutW {
				starts = append(starts, img*c.paddedSize()+(oy*c.Stride*wp+ox*c.Stride)*c.InC)
			}
		}
	}
	return starts
}

// gathered is the patch matrix whose rows start at starts in the padded
// images x: patch value (ky*K+kx)*InC+ic at start + ky*wp*InC + kx*InC + ic.
func (c *Conv2D) gathered(x []float32, starts []int) kernels.Gathered {
	return kernels.Gathered{X: x, Rows: starts, Run: c.K * c.InC, Skip: (c.InW + 2*c.Pad - c.K) * c.InC}
}
