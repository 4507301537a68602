package train

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// WriteGrid saves n images of rows x cols pixels in [-1,1] as a PNG grid,
// ncol images a row, with a 2-pixel border between them.
func WriteGrid(path string, pix []float32, n, rows, cols, ncol int) error {
	b, err := GridPNG(pix, n, rows, cols, ncol)
	if err == nil {
		err = atomicfile.WriteFile(path, b)
	}
	if err != nil {
		return fmt.Errorf("grid %s: %w", path, err)
	}
	return nil
}

// GridImage lays out n images as WriteGrid does.
func GridImage(pix []float32, n, rows, cols, ncol int) (*image.Gray, error) {
	if n == 0 || len(pix) < n*rows*cols {
		return nil, fmt.Errorf("%d values for %d images of %dx%d", len(pix), n, rows, cols)
	}
	ncol = min(ncol, n)
	nrow := (n + ncol - 1) / ncol
	const pad = 2
	img := image.NewGray(image.Rect(0, 0, ncol*(cols+pad)+pad, nrow*(rows+pad)+pad))
	for i := range img.Pix {
		img.Pix[i] = 64
	}
	dim := rows * cols
	for k := range n {
		ox, oy := pad+(k%ncol)*(cols+pad), pad+(k/ncol)*(rows+pad)
		for r := range rows {
			for c := range cols {
				v := float64(pix[k*dim+r*cols+c])
				if math.IsNaN(v) {
					v = -1
				}
				g := math.Round((min(max(v, -1), 1) + 1) * 127.5)
				img.SetGray(ox+c, oy+r, color.Gray{Y: uint8(g)})
			}
		}
	}
	return img, nil
}

// GridPNG encodes GridImage as PNG.
func GridPNG(pix []float32, n, rows, cols, ncol int) ([]byte, error) {
	img, err := GridImage(pix, n, rows, cols, ncol)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
