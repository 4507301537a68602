package eval

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"math"
	"slices"
	"strings"

	"github.com/ebm-project/ebm/train"
)

// The report page's pictures: the reliability diagram, the energy
// histograms and the animation of chains from noise.

// ChainGIF animates the chain frames: 8 chains side by side.
func (r *Report) ChainGIF() ([]byte, error) {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{Y: uint8(i)}
	}
	var g gif.GIF
	for i, f := range r.ChainFrames {
		img, err := train.GridImage(f, len(f)/r.Shape.Dim(), r.Shape, frameChains)
		if err != nil {
			return nil, err
		}
		var p *image.Paletted
		if grey, ok := img.(*image.Gray); ok { // grey images make a grey grid, exactly
			p = image.NewPaletted(img.Bounds(), pal)
			copy(p.Pix, grey.Pix)
		} else { // colour: the web-safe palette, dithered
			p = image.NewPaletted(img.Bounds(), palette.WebSafe)
			draw.FloydSteinberg.Draw(p, p.Bounds(), img, image.Point{})
		}
		g.Image = append(g.Image, p)
		delay := 12
		if i == len(r.ChainFrames)-1 {
			delay = 200
		}
		g.Delay = append(g.Delay, delay)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &g); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reliabilitySVG draws accuracy against confidence per bin.
func (r *Report) reliabilitySVG() string {
	const w, h, m = 320.0, 320.0, 40.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#999" stroke-dasharray="4"/>`, m, h-m, w-m/2, m/2)
	sx := func(v float64) float64 { return m + v*(w-1.5*m) }
	sy := func(v float64) float64 { return h - m - v*(h-1.5*m) }
	for _, bin := range r.Reliability {
		if bin.Count == 0 {
			continue
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f77b4" opacity="0.8"><title>%d in [%.2f,%.2f): accuracy %.3f, confidence %.3f</title></rect>`,
			sx(bin.Lo)+1, sy(bin.Accuracy), sx(bin.Hi)-sx(bin.Lo)-2, sy(0)-sy(bin.Accuracy), bin.Count, bin.Lo, bin.Hi, bin.Accuracy, bin.Confidence)
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`, m, h-m, w-m/2, h-m, m, h-m, m, m/2)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">confidence (max softmax)</text>`, w/2, h-10)
	fmt.Fprintf(&b, `<text x="12" y="%g" transform="rotate(-90 12 %g)" text-anchor="middle">accuracy</text>`, h/2, h/2)
	for _, v := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%g</text><text x="%g" y="%.1f" text-anchor="end">%g</text>`, sx(v), h-m+14, v, m-4, sy(v)+4, v)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// energyBins is the number of histogram bins across the axis.
const energyBins = 100

// symlog is the energy axis: sign(e)*log10(1+|e|), linear near 0 and
// logarithmic beyond. Energies of data sit near -10, of noise near +30 and
// of inverted digits near +700 (seed-1 default run): on a linear axis the
// far sets squeeze the data into one bin, on this one every set keeps its
// shape.
func symlog(e float64) float64 { return math.Copysign(math.Log10(1+math.Abs(e)), e) }

// energySVG draws one histogram of E(x) per set, stacked on a shared
// symmetric-log energy axis that spans every value. Each row is scaled to
// its own highest bin, so a narrow set and a wide one are both readable,
// and its median is marked.
func (r *Report) energySVG() string {
	const w, rowH, left, right, top = 720.0, 46.0, 150.0, 30.0, 10.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range r.Energies {
		for _, e := range s.Energies {
			lo, hi = math.Min(lo, symlog(e)), math.Max(hi, symlog(e))
		}
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, lo+0.5
	}
	pad := 0.02 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	plotW := w - left - right
	x := func(e float64) float64 { return left + (symlog(e)-lo)/(hi-lo)*plotW }
	h := top + float64(len(r.Energies))*rowH + 40
	colors := []string{"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#ff7f0e"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="11"><rect width="100%%" height="100%%" fill="white"/>`, w, h)
	for i, s := range r.energyRows() {
		if len(s.Energies) == 0 {
			continue
		}
		y0 := top + float64(i+1)*rowH // the row's baseline
		counts := make([]float64, energyBins)
		for _, e := range s.Energies {
			k := int((symlog(e) - lo) / (hi - lo) * energyBins)
			counts[min(energyBins-1, max(0, k))]++
		}
		peak := slices.Max(counts)
		col := colors[i%len(colors)]
		pts := []string{fmt.Sprintf("%.1f,%.1f", left, y0)}
		for k, c := range counts {
			yk := y0 - c/peak*(rowH-8)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", left+float64(k)/energyBins*plotW, yk, left+float64(k+1)/energyBins*plotW, yk))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", left+plotW, y0))
		med := median(s.Energies)
		fmt.Fprintf(&b, `<polygon points="%s" fill="%s" fill-opacity="0.35" stroke="%s"/>`, strings.Join(pts, " "), col, col)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, x(med), y0, x(med), y0-rowH+8, col)
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#999"/>`, left, y0, left+plotW, y0)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%s</text><text x="%g" y="%.1f" text-anchor="end" fill="#666">%d, median %.3g</text>`,
			left-8, y0-22, template.HTMLEscapeString(s.Name), left-8, y0-8, len(s.Energies), med)
	}
	axisY := top + float64(len(r.Energies))*rowH
	for _, v := range []float64{-1e4, -1e3, -100, -10, -1, 0, 1, 10, 100, 1e3, 1e4} {
		if sv := symlog(v); sv < lo || sv > hi {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#ccc"/><line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="black"/><text x="%.1f" y="%g" text-anchor="middle">%g</text>`,
			x(v), top, x(v), axisY, x(v), axisY, x(v), axisY+4, x(v), axisY+16, v)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">energy E(x) = -logsumexp f(x), symmetric log scale; each row scaled to its own peak, its median marked</text></svg>`, left+plotW/2, axisY+32)
	return b.String()
}

// energyRows puts the data and the samples first, then the OOD sets.
func (r *Report) energyRows() []EnergySet {
	rank := map[string]int{"MNIST test": -2, "samples": -1}
	rows := slices.Clone(r.Energies)
	slices.SortStableFunc(rows, func(a, b EnergySet) int { return rank[a.Name] - rank[b.Name] })
	return rows
}

// median is the middle value (the upper one of an even number).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
