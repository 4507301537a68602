package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// WriteLossCurve draws train and validation loss per epoch as an SVG line
// chart with labelled axes.
func WriteLossCurve(path string, hist []EpochMetrics) error {
	return atomicfile.WriteFile(path, []byte(lossCurveSVG(hist)))
}

// lossCurveSVG is the chart WriteLossCurve writes.
func lossCurveSVG(hist []EpochMetrics) string {
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
	return b.String()
}
