package nn

import "github.com/ebm-project/ebm/kernels"

// im2col writes the patches of n images as rows: row (img, oy, ox) of dst
// holds, at (ky*K+kx)*InC+ic, pixel (oy*Stride-Pad+ky, ox*Stride-Pad+kx)
// channel ic of image img, or 0 where that pixel is padding. A patch row
// is K runs of K*InC floats, each run contiguous in the image where it does
// not cross the border.
func im2col(c *Conv2D, dst, x []float32, n int) {
	run := c.K * c.InC
	row := 0
	for img := range n {
		src := x[img*c.inPixels : (img+1)*c.inPixels]
		for oy := range c.OutH {
			for ox := range c.OutW {
				p := dst[row*c.patch : (row+1)*c.patch]
				row++
				x0 := ox*c.Stride - c.Pad
				for ky := range c.K {
					seg := p[ky*run : (ky+1)*run]
					iy := oy*c.Stride - c.Pad + ky
					if iy < 0 || iy >= c.InH {
						clear(seg)
						continue
					}
					if x0 >= 0 && x0+c.K <= c.InW {
						copyRun(seg, src[(iy*c.InW+x0)*c.InC:])
						continue
					}
					for kx := range c.K {
						ix := x0 + kx
						px := seg[kx*c.InC : (kx+1)*c.InC]
						if ix < 0 || ix >= c.InW {
							clear(px)
						} else {
							copy(px, src[(iy*c.InW+ix)*c.InC:])
						}
					}
				}
			}
		}
	}
}

// copyRun is copy for the runs of im2col: a one-channel image's are a few
// floats, too short to pay for a call to memmove.
func copyRun(dst, src []float32) {
	if len(dst) > 8 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// col2im is im2col's adjoint: dx = 0, then every patch value is added onto
// the pixel it was read from (padding positions are dropped). Pixels inside
// several patches receive the sum, in the fixed order of the rows. As in
// im2col, a kernel row inside the image is one contiguous run of K*InC
// floats on both sides.
func col2im(c *Conv2D, dx, patches []float32, n int) {
	clear(dx[:n*c.inPixels])
	run := c.K * c.InC
	row := 0
	for img := range n {
		dst := dx[img*c.inPixels : (img+1)*c.inPixels]
		for oy := range c.OutH {
			for ox := range c.OutW {
				p := patches[row*c.patch : (row+1)*c.patch]
				row++
				x0 := ox*c.Stride - c.Pad
				for ky := range c.K {
					iy := oy*c.Stride - c.Pad + ky
					if iy < 0 || iy >= c.InH {
						continue
					}
					seg := p[ky*run : (ky+1)*run]
					if x0 >= 0 && x0+c.K <= c.InW {
						addTo(dst[(iy*c.InW+x0)*c.InC:][:run], seg)
						continue
					}
					for kx := range c.K {
						if ix := x0 + kx; ix >= 0 && ix < c.InW {
							addTo(dst[(iy*c.InW+ix)*c.InC:][:c.InC], seg[kx*c.InC:(kx+1)*c.InC])
						}
					}
				}
			}
		}
	}
}

// addTo adds src onto dst (len(dst) == len(src)): short runs (a
// one-channel image's) in a loop, longer ones with the vector kernel.
func addTo(dst, src []float32) {
	if len(dst) < 16 {
		src = src[:len(dst)]
		for i, v := range src {
			dst[i] += v
		}
		return
	}
	if err := kernels.Add(dst, src); err != nil {
		// Both are runs of the same patch geometry: unreachable.
		panic("nn: col2im: " + err.Error())
	}
}
