package nn

import "github.com/ebm-project/ebm/kernels"

// A convolution's input gradient as a convolution of its output gradient
// (a transposed convolution), read in place like the forward product:
//
//	dx[iy][ix][ic] = sum over oy, ox, oc of dY[oy][ox][oc] * W[ky][kx][ic][oc],
//	                 iy = oy*S - P + ky, ix = ox*S - P + kx
//
// An input row iy takes the kernel rows ky = ry, ry+S, ... with ry = (iy+P)
// mod S, from the output rows qy, qy-1, ... with qy = (iy+P) div S: a window
// of ty consecutive output rows, the same ty for every iy of that phase ry.
// So each of the S x S phases (ry, rx) is an ordinary product: its input
// pixels' windows in the zero-padded output gradient (ty runs of tx*OutC
// floats) times a ty*tx*OutC x InC matrix of W's entries. This replaces the
// patch gradients dY*W^T (P x K*K*InC) and col2im's overlapping sums, at
// about the same multiplies (at the edges, windows reach into the padded
// dY where patches reached into the padded image: fewer for the 7x7 3x3
// stride-2 layer of the conv preset, more for an unpadded stride-1 one);
// the sums over a pixel's terms run in another order than col2im's, so the
// bits differ from it.
//
// A convolution with few input channels keeps the patch gradients and
// col2im: its phase products would have InC columns, a first layer's one.
// (A variable so that a benchmark can time col2im on any layer.)
var minTransposedInC = 8

// transposed is a convolution's input gradient by phases.
type transposed struct {
	top, left int // the output gradient's padding above and to the left
	hp, wp    int // the padded output gradient's height and width
	phases    []phase
}

// phase is the input pixels of one (ry, rx) and their product.
type phase struct {
	ry, rx int       // (iy+P) mod S and (ix+P) mod S of its pixels
	ty, tx int       // kernel taps down and across: the window's output rows and columns
	pix    []int     // where each pixel's InC values lie in an input image
	base   []int     // where each pixel's window starts in a padded output gradient
	w      []float32 // ty*tx*OutC x InC: row (wy*tx+wx)*OutC+oc, column ic
	packed kernels.PackedB
}

// newTransposed lays out c's phases, or returns nil where the patch
// gradients and col2im serve better.
func newTransposed(c *Conv2D) *transposed {
	if c.InC < minTransposedInC {
		return nil
	}
	s := c.Stride
	taps := func(r int) int { return max(0, (c.K-r+s-1)/s) } // offsets r, r+s, ... below K
	maxTaps := taps(0)
	t := &transposed{top: maxTaps - 1, left: maxTaps - 1}
	// The last output row and column a window reaches: q = (i+P) div S.
	bottom := max(0, (c.InH-1+c.Pad)/s-(c.OutH-1))
	right := max(0, (c.InW-1+c.Pad)/s-(c.OutW-1))
	t.hp, t.wp = t.top+c.OutH+bottom, t.left+c.OutW+right
	for ry := range s {
		for rx := range s {
			ph := phase{ry: ry, rx: rx, ty: taps(ry), tx: taps(rx)}
			for iy := range c.InH {
				if (iy+c.Pad)%s != ry {
					continue
				}
				for ix := range c.InW {
					if (ix+c.Pad)%s != rx {
						continue
					}
					qy, qx := (iy+c.Pad)/s, (ix+c.Pad)/s
					ph.pix = append(ph.pix, (iy*c.InW+ix)*c.InC)
					ph.base = append(ph.base, ((qy-ph.ty+1+t.top)*t.wp+qx-ph.tx+1+t.left)*c.OutC)
				}
			}
			if len(ph.pix) > 0 {
				ph.w = make([]float32, ph.ty*ph.tx*c.OutC*c.InC)
				t.phases = append(t.phases, ph)
			}
		}
	}
	return t
}

// maxPixels is the most input pixels of an image one phase has.
func (t *transposed) maxPixels() int {
	n := 0
	for _, ph := range t.phases {
		n = max(n, len(ph.pix))
	}
	return n
}

// paddedSize is the floats of one padded output gradient.
func (t *transposed) paddedSize(c *Conv2D) int { return t.hp * t.wp * c.OutC }

// arrange copies W's entries into each phase's matrix: window row wy is
// kernel row ky = ry + S*(ty-1-wy) (the window runs up the output rows as
// ky runs down), and likewise across.
func (t *transposed) arrange(c *Conv2D, w []float32) {
	for _, ph := range t.phases {
		for wy := range ph.ty {
			ky := ph.ry + c.Stride*(ph.ty-1-wy)
			for wx := range ph.tx {
				kx := ph.rx + c.Stride*(ph.tx-1-wx)
				for oc := range c.OutC {
					row := ph.w[((wy*ph.tx+wx)*c.OutC+oc)*c.InC:][:c.InC]
					for ic := range row {
						row[ic] = w[((ky*c.K+kx)*c.InC+ic)*c.OutC+oc]
					}
				}
			}
		}
	}
}

// starts returns where each pixel's window starts, phase by phase, in n
// padded output gradients laid end to end.
func (t *transposed) starts(c *Conv2D, n int) [][]int {
	out := make([][]int, len(t.phases))
	for i, ph := range t.phases {
		out[i] = make([]int, 0, n*len(ph.base))
		for img := range n {
			for _, b := range ph.base {
				out[i] = append(out[i], img*t.paddedSize(c)+b)
			}
		}
	}
	return out
}

// inputGrad writes the input gradient of images [r0, r1) into dx from
// their output gradients dy (both from image r0 on): dy copied into the
// padded images pad (whose borders stay zero), each phase's product into
// scratch, then its rows onto their pixels. starts are the phases' window
// starts in pad, from image 0 on.
func (t *transposed) inputGrad(c *Conv2D, dx, dy, pad, scratch []float32, starts [][]int, r0, r1 int) error {
	n := r1 - r0
	padImages(pad[r0*t.paddedSize(c):], dy, n, c.OutH, c.OutW, c.OutC, t.top, t.left, t.hp, t.wp)
	for i := range t.phases {
		ph := &t.phases[i]
		np := len(ph.pix)
		out := scratch[:n*np*c.InC]
		if ph.ty == 0 || ph.tx == 0 {
			clear(out) // no kernel offset reaches these pixels
		} else {
			a := kernels.Gathered{X: pad, Rows: starts[i][r0*np : r1*np], Run: ph.tx * c.OutC, Skip: (t.wp - ph.tx) * c.OutC}
			if err := kernels.SgemmGathered(1, a, &ph.packed, 0, out, c.InC); err != nil {
				return err
			}
		}
		for img := range n {
			image := dx[img*c.inPixels : (img+1)*c.inPixels]
			for j, at := range ph.pix {
				copy(image[at:at+c.InC], out[(img*np+j)*c.InC:])
			}
		}
	}
	return nil
}

// padImages copies n images of h x w x ch floats from src into the
// interiors of hp x wp x ch images in dst, top rows down and left columns
// across. The borders are never written.
func padImages(dst, src []float32, n, h, w, ch, top, left, hp, wp int) {
	line := w * ch
	for img := range n {
		in := src[img*h*line : (img+1)*h*line]
		out := dst[img*hp*wp*ch : (img+1)*hp*wp*ch]
		for y := range h {
			at := ((y+top)*wp + left) * ch
			copy(out[at:at+line], in[y*line:(y+1)*line])
		}
	}
}
