package mnist

import (
	"fmt"
	"math"
)

// Drawings read as the data set's images were made. A drawing is ink in
// [0, 1], width*height values row by row; what the model sees is grey in
// [-1, 1], rows*cols values.

// Digit box and frame of MNIST: "size normalized to fit in a 20x20 pixel box
// while preserving their aspect ratio ... centered in a 28x28 image by
// computing the center of mass of the pixels" (LeCun and Cortes).
const (
	digitBox   = 20
	digitFrame = 28
	inkLevel   = 0.1 // a drawing's pixel with less ink than this is background
)

// FrameDrawing makes a drawing an image of the set's shape (grey: one value
// a pixel, whatever the set's channels). MNIST's drawings are framed as its
// digits were (FrameDigit); any other set's are the whole canvas averaged
// down, as nothing says how its images were framed.
func (d *Data) FrameDrawing(ink []float32, width, height int) ([]float32, error) {
	if width <= 0 || height <= 0 || width > 4096 || height > 4096 || len(ink) != width*height {
		return nil, fmt.Errorf("drawing of %d values as %dx%d: want width*height values, sides 1 to 4096", len(ink), width, height)
	}
	if d.FramesDigits() {
		return FrameDigit(ink, width, height), nil
	}
	s := d.Shape()
	return toGrey(resize(ink, width, height, 0, 0, width, height, s.Cols, s.Rows)), nil
}

// FramesDigits reports whether FrameDrawing frames drawings as MNIST's
// digits were made: the set is MNIST.
func (d *Data) FramesDigits() bool {
	s := d.Shape()
	return d.Verified == MNIST.Name && s.Rows == digitFrame && s.Cols == digitFrame
}

// FrameDigit is MNIST's preparation of a drawing: its ink's bounding box
// scaled to fit 20x20 with its aspect ratio kept (each pixel the mean of the
// canvas area it covers), then placed in a 28x28 frame so that its centre of
// mass falls on the frame's centre. A blank drawing is a blank frame.
func FrameDigit(ink []float32, width, height int) []float32 {
	x0, y0, x1, y1 := width, height, -1, -1
	for y := range height {
		for x := range width {
			if ink[y*width+x] > inkLevel {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	frame := make([]float32, digitFrame*digitFrame)
	if x1 < 0 {
		return toGrey(frame)
	}
	bw, bh := x1-x0+1, y1-y0+1
	scale := float64(digitBox) / float64(max(bw, bh))
	w, h := max(1, int(math.Round(float64(bw)*scale))), max(1, int(math.Round(float64(bh)*scale)))
	box := resize(ink, width, height, x0, y0, bw, bh, w, h)
	// The centre of mass, pixel centres at i+0.5, to the frame's centre.
	var m, mx, my float64
	for y := range h {
		for x := range w {
			v := float64(box[y*w+x])
			m, mx, my = m+v, mx+v*(float64(x)+0.5), my+v*(float64(y)+0.5)
		}
	}
	ox := int(math.Round(digitFrame/2 - mx/m))
	oy := int(math.Round(digitFrame/2 - my/m))
	for y := range h {
		for x := range w {
			if fx, fy := x+ox, y+oy; fx >= 0 && fy >= 0 && fx < digitFrame && fy < digitFrame {
				frame[fy*digitFrame+fx] = box[y*w+x]
			}
		}
	}
	return toGrey(frame)
}

// resize averages the region (x0, y0, bw, bh) of a width-wide image down or
// up to w x h: each output pixel is the mean of the area it covers, partial
// pixels weighted by their part.
func resize(src []float32, width, _ int, x0, y0, bw, bh, w, h int) []float32 {
	cols, rows := coverage(bw, w), coverage(bh, h)
	out := make([]float32, w*h)
	for y, ry := range rows {
		for x, rx := range cols {
			var s float64
			for _, cy := range ry {
				row := (y0 + cy.at) * width
				for _, cx := range rx {
					s += cy.part * cx.part * float64(src[row+x0+cx.at])
				}
			}
			out[y*w+x] = float32(s)
		}
	}
	return out
}

type share struct {
	at   int
	part float64 // the source pixel's weight in the output pixel (they sum to 1)
}

// coverage maps n source pixels onto m output pixels: which source pixels
// each output pixel covers, and how much of each.
func coverage(n, m int) [][]share {
	out := make([][]share, m)
	step := float64(n) / float64(m)
	for i := range m {
		a, b := float64(i)*step, float64(i+1)*step
		for k := int(a); k < n && float64(k) < b; k++ {
			if part := min(b, float64(k+1)) - max(a, float64(k)); part > 1e-12 {
				out[i] = append(out[i], share{k, part / step})
			}
		}
	}
	return out
}

// toGrey maps ink in [0, 1] to the images' [-1, 1].
func toGrey(v []float32) []float32 {
	for i, x := range v {
		v[i] = 2*min(1, max(0, x)) - 1
	}
	return v
}
