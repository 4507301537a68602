package nn

import "github.com/ebm-project/ebm/kernels"

// im2col writes the patches of n images as rows: row (img, oy, ox) of dst
// holds, at (ky*K+kx)*InC+ic, pixel (oy*Stride-Pad+ky, ox*Stride-Pad+kx)
// channel ic of image img, or 0 where that pixel is padding. A patch row
// is K segments of K*InC floats, one per kernel row; the part of a segment
// inside the image is one contiguous run of the image.
//
// The loops go by image row (oy, ky) and then along it (ox): the patches
// away from the left and right borders (interior) take whole runs Stride*InC
// floats apart in the image row and one patch apart in dst, a tight loop
// that matters for a one-channel image, whose runs are a few floats.
func im2col(c *Conv2D, dst, x []float32, n int) {
	run, step := c.K*c.InC, c.Stride*c.InC
	oxLo, oxHi := interior(c)
	perImage := c.OutH * c.OutW * c.patch
	for img := range n {
		src := x[img*c.inPixels : (img+1)*c.inPixels]
		out := dst[img*perImage : (img+1)*perImage]
		for oy := range c.OutH {
			for ky := range c.K {
				first := oy*c.OutW*c.patch + ky*run // segment ky of patch (oy, 0)
				iy := oy*c.Stride - c.Pad + ky
				if iy < 0 || iy >= c.InH {
					for ox := range c.OutW {
						zero(out[first+ox*c.patch:][:run])
					}
					continue
				}
				line := src[iy*c.InW*c.InC : (iy+1)*c.InW*c.InC]
				for ox := range oxLo {
					borderSeg(c, out[first+ox*c.patch:][:run], line, ox)
				}
				s, d := (oxLo*c.Stride-c.Pad)*c.InC, first+oxLo*c.patch
				for range oxHi - oxLo {
					copyRun(out[d:d+run], line[s:s+run])
					s += step
					d += c.patch
				}
				for ox := oxHi; ox < c.OutW; ox++ {
					borderSeg(c, out[first+ox*c.patch:][:run], line, ox)
				}
			}
		}
	}
}

// interior returns the patch columns [oxLo, oxHi) whose K image columns
// all lie inside the image; the others overlap the padding.
func interior(c *Conv2D) (oxLo, oxHi int) {
	oxLo = min(c.OutW, (c.Pad+c.Stride-1)/c.Stride)
	oxHi = oxLo
	if last := c.InW - c.K + c.Pad; last >= 0 {
		oxHi = max(oxLo, min(c.OutW, last/c.Stride+1))
	}
	return oxLo, oxHi
}

// inside returns the kernel columns [lo, hi) of patch column ox that fall
// inside the image (hi <= lo: none); the others read padding.
func inside(c *Conv2D, ox int) (lo, hi int) {
	x0 := ox*c.Stride - c.Pad
	lo = min(c.K, max(0, -x0))
	hi = max(lo, min(c.K, c.InW-x0))
	return lo, hi
}

// borderSeg writes one segment (one kernel row) of a patch that overlaps
// the left or right padding, from its image row line.
func borderSeg(c *Conv2D, seg, line []float32, ox int) {
	lo, hi := inside(c, ox)
	zero(seg[:lo*c.InC])
	if hi > lo {
		x0 := ox*c.Stride - c.Pad
		copyRun(seg[lo*c.InC:hi*c.InC], line[(x0+lo)*c.InC:(x0+hi)*c.InC])
	}
	zero(seg[hi*c.InC:])
}

// zero is clear for padding: a one-channel image's is a float or two, too
// few to pay for a call to memclr.
func zero(s []float32) {
	if len(s) > 8 {
		clear(s)
		return
	}
	for i := range s {
		s[i] = 0
	}
}

// copyRun is copy for the runs of im2col: a one-channel image's are a few
// floats, too short to pay for a call to memmove.
func copyRun(dst, src []float32) {
	switch len(dst) {
	case 3:
		*(*[3]float32)(dst) = [3]float32(src)
	case 4:
		*(*[4]float32)(dst) = [4]float32(src)
	case 5:
		*(*[5]float32)(dst) = [5]float32(src)
	default:
		copy(dst, src)
	}
}

// col2im is im2col's adjoint: dx = 0, then every patch value is added onto
// the pixel it was read from (padding positions are dropped). Pixels inside
// several patches receive the sum in the order of the patch rows (oy, ox):
// a pixel's image row meets one kernel row of each patch row oy, so going
// by (oy, ky) and then along ox keeps that order. As in im2col, the part
// of a kernel row inside the image is one contiguous run on both sides.
func col2im(c *Conv2D, dx, patches []float32, n int) {
	clear(dx[:n*c.inPixels])
	run, step := c.K*c.InC, c.Stride*c.InC
	oxLo, oxHi := interior(c)
	perImage := c.OutH * c.OutW * c.patch
	for img := range n {
		dst := dx[img*c.inPixels : (img+1)*c.inPixels]
		in := patches[img*perImage : (img+1)*perImage]
		for oy := range c.OutH {
			for ky := range c.K {
				iy := oy*c.Stride - c.Pad + ky
				if iy < 0 || iy >= c.InH {
					continue
				}
				first := oy*c.OutW*c.patch + ky*run
				line := dst[iy*c.InW*c.InC : (iy+1)*c.InW*c.InC]
				for ox := range oxLo {
					addBorderSeg(c, line, in[first+ox*c.patch:][:run], ox)
				}
				s, d := first+oxLo*c.patch, (oxLo*c.Stride-c.Pad)*c.InC
				for range oxHi - oxLo {
					// addTo by hand: addRun inlines, and for a one-channel
					// image's few floats a call costs more than the adds.
					if run < 16 {
						addRun(line[d:d+run], in[s:s+run])
					} else {
						addVec(line[d:d+run], in[s:s+run])
					}
					s += c.patch
					d += step
				}
				for ox := oxHi; ox < c.OutW; ox++ {
					addBorderSeg(c, line, in[first+ox*c.patch:][:run], ox)
				}
			}
		}
	}
}

// addBorderSeg adds the part of a border patch's segment that lies inside
// the image onto its image row line.
func addBorderSeg(c *Conv2D, line, seg []float32, ox int) {
	if lo, hi := inside(c, ox); hi > lo {
		x0 := ox*c.Stride - c.Pad
		addTo(line[(x0+lo)*c.InC:(x0+hi)*c.InC], seg[lo*c.InC:hi*c.InC])
	}
}

// addTo adds src onto dst (len(dst) == len(src)): short runs (a
// one-channel image's) in a loop, longer ones with the vector kernel.
func addTo(dst, src []float32) {
	if len(dst) < 16 {
		addRun(dst, src)
		return
	}
	addVec(dst, src)
}

// addRun adds src onto dst in a plain loop, short enough to inline.
func addRun(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

func addVec(dst, src []float32) {
	if err := kernels.Add(dst, src); err != nil {
		// Both are runs of the same patch geometry: unreachable.
		panic("nn: col2im: " + err.Error())
	}
}
