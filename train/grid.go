package train

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/ebm-project/ebm/internal/atomicfile"
	"github.com/ebm-project/ebm/mnist"
)

// WriteGrid saves n images of shape s, values in [-1,1], as a PNG grid,
// ncol images a row, with a 2-pixel border between them: grey images as a
// grey PNG, colour ones as RGB.
func WriteGrid(path string, pix []float32, n int, s mnist.Shape, ncol int) error {
	b, err := GridPNG(pix, n, s, ncol)
	if err == nil {
		err = atomicfile.WriteFile(path, b)
	}
	if err != nil {
		return fmt.Errorf("grid %s: %w", path, err)
	}
	return nil
}

// GridImage lays out n images as WriteGrid does.
func GridImage(pix []float32, n int, s mnist.Shape, ncol int) (image.Image, error) {
	if n == 0 || len(pix) < n*s.Dim() || s.Channels != 1 && s.Channels != 3 {
		return nil, fmt.Errorf("%d values for %d images of %v", len(pix), n, s)
	}
	ncol = min(ncol, n)
	nrow := (n + ncol - 1) / ncol
	const pad = 2
	rect := image.Rect(0, 0, ncol*(s.Cols+pad)+pad, nrow*(s.Rows+pad)+pad)
	level := func(v float32) uint8 {
		f := float64(v)
		if math.IsNaN(f) {
			f = -1
		}
		return uint8(math.Round((min(max(f, -1), 1) + 1) * 127.5))
	}
	dim := s.Dim()
	if s.Channels == 1 {
		img := image.NewGray(rect)
		for i := range img.Pix {
			img.Pix[i] = 64
		}
		for k := range n {
			ox, oy := pad+(k%ncol)*(s.Cols+pad), pad+(k/ncol)*(s.Rows+pad)
			for r := range s.Rows {
				for c := range s.Cols {
					img.SetGray(ox+c, oy+r, color.Gray{Y: level(pix[k*dim+r*s.Cols+c])})
				}
			}
		}
		return img, nil
	}
	img := image.NewNRGBA(rect)
	for i := range img.Pix {
		img.Pix[i] = 64
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	for k := range n {
		ox, oy := pad+(k%ncol)*(s.Cols+pad), pad+(k/ncol)*(s.Rows+pad)
		for r := range s.Rows {
			for c := range s.Cols {
				p := pix[k*dim+(r*s.Cols+c)*3:]
				img.SetNRGBA(ox+c, oy+r, color.NRGBA{level(p[0]), level(p[1]), level(p[2]), 255})
			}
		}
	}
	return img, nil
}

// GridPNG encodes GridImage as PNG.
func GridPNG(pix []float32, n int, s mnist.Shape, ncol int) ([]byte, error) {
	img, err := GridImage(pix, n, s, ncol)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
