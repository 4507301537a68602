package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// WriteGrid saves n images of rows x cols pixels in [-1,1] as a PNG grid,
// ncol images a row, with a 2-pixel border between them.
func WriteGrid(path string, pix []float32, n, rows, cols, ncol int) error {
	b, err := GridPNG(pix, n, rows, cols, ncol)
	if err != nil {
		return fmt.Errorf("grid %s: %w", path, err)
	}
	return writeAtomic(path, b)
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

// WriteFileAtomic writes via a temporary file and rename.
func WriteFileAtomic(path string, b []byte) error { return writeAtomic(path, b) }

// writeAtomic writes via a temporary file and rename.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteMetrics rewrites metrics.jsonl from the history: one object a line.
func WriteMetrics(path string, hist []EpochMetrics) error {
	var buf bytes.Buffer
	for _, m := range hist {
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		buf.Write(js)
		buf.WriteByte('\n')
	}
	return writeAtomic(path, buf.Bytes())
}

// WriteLossCurve draws train and validation loss per epoch as an SVG line
// chart with labelled axes.
func WriteLossCurve(path string, hist []EpochMetrics) error {
	const w, h, left, right, top, bottom = 640.0, 400.0, 70.0, 20.0, 40.0, 50.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range hist {
		for _, v := range []float64{m.TrainLoss, m.ValLoss} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if len(hist) == 0 || lo > hi {
		lo, hi = 0, 1
	}
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	pad := 0.05 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	maxEpoch := float64(max(2, len(hist)))
	x := func(e float64) float64 { return left + (e-1)/(maxEpoch-1)*(w-left-right) }
	y := func(v float64) float64 { return top + (hi-v)/(hi-lo)*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%g" y="22" text-anchor="middle" font-size="15">Loss per epoch</text>`+"\n", w/2)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n",
		left, h-bottom, w-right, h-bottom, left, top, left, h-bottom)
	for i := 0; i <= 4; i++ {
		v := lo + float64(i)/4*(hi-lo)
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%.3g</text><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n",
			left-6, y(v)+4, v, left, y(v), w-right, y(v))
	}
	step := max(1, len(hist)/10)
	for e := 1; e <= len(hist); e += step {
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%d</text>`+"\n", x(float64(e)), h-bottom+18, e)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">epoch</text>`+"\n", (left+w-right)/2, h-10)
	fmt.Fprintf(&b, `<text x="16" y="%g" text-anchor="middle" transform="rotate(-90 16 %g)">loss</text>`+"\n", (top+h-bottom)/2, (top+h-bottom)/2)
	series := []struct {
		name, color string
		get         func(EpochMetrics) float64
	}{
		{"train (hybrid)", "#1f77b4", func(m EpochMetrics) float64 { return m.TrainLoss }},
		{"validation (cross-entropy)", "#d62728", func(m EpochMetrics) float64 { return m.ValLoss }},
	}
	for si, s := range series {
		var pts []string
		for _, m := range hist {
			v := s.get(m)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(m.Epoch)), y(v)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(float64(m.Epoch)), y(v), s.color)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="14" height="3" fill="%s"/><text x="%g" y="%g">%s</text>`+"\n",
			w-right-200, top+8+float64(si)*16, s.color, w-right-180, top+12+float64(si)*16, s.name)
	}
	b.WriteString("</svg>\n")
	return writeAtomic(path, []byte(b.String()))
}

// WriteJSON writes v as indented JSON.
func WriteJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(js, '\n'))
}

// Paths of a run directory's files.
type Paths struct{ Dir string }

func (p Paths) Checkpoint() string { return filepath.Join(p.Dir, "checkpoint.ebm") }
func (p Paths) Metrics() string    { return filepath.Join(p.Dir, "metrics.jsonl") }
func (p Paths) Config() string     { return filepath.Join(p.Dir, "config.json") }
func (p Paths) LossCurve() string  { return filepath.Join(p.Dir, "loss_curve.svg") }
func (p Paths) RealGrid() string   { return filepath.Join(p.Dir, "real.png") }
func (p Paths) SampleGrid(epoch int) string {
	return filepath.Join(p.Dir, fmt.Sprintf("samples_epoch%03d.png", epoch))
}
func (p Paths) FinalGrid() string { return filepath.Join(p.Dir, "samples_final.png") }
