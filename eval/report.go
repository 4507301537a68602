package eval

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/gif"
	"math"
	"sort"
	"strings"

	"github.com/ebm-project/ebm/train"
)

// JSON is the report's machine-readable form.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// ChainGIF animates the chain frames: 8 chains side by side.
func (r *Report) ChainGIF() ([]byte, error) {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{Y: uint8(i)}
	}
	var g gif.GIF
	for i, f := range r.ChainFrames {
		img, err := train.GridImage(f, len(f)/784, 28, 28, 8)
		if err != nil {
			return nil, err
		}
		p := image.NewPaletted(img.Bounds(), pal)
		copy(p.Pix, img.Pix)
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

// energySVG overlays histograms of E(x) for each set.
func (r *Report) energySVG() string {
	const w, h, m, bins = 560.0, 300.0, 40.0, 40
	lo, hi := math.Inf(1), math.Inf(-1)
	var names []string
	for name, es := range r.Energies {
		names = append(names, name)
		for _, e := range es {
			lo, hi = math.Min(lo, e), math.Max(hi, e)
		}
	}
	sort.Strings(names)
	if !(hi > lo) {
		hi = lo + 1
	}
	colors := []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="11"><rect width="100%%" height="100%%" fill="white"/>`, w, h)
	for ni, name := range names {
		counts := make([]float64, bins)
		for _, e := range r.Energies[name] {
			counts[min(bins-1, int((e-lo)/(hi-lo)*bins))]++
		}
		var pts []string
		for i, c := range counts {
			x := m + (float64(i)+0.5)/bins*(w-1.5*m)
			y := h - m - c/float64(len(r.Energies[name]))*(h-1.5*m)*3
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, math.Max(m/2, y)))
		}
		col := colors[ni%len(colors)]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, col, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="12" height="3" fill="%s"/><text x="%g" y="%g">%s (%d)</text>`, w-190, 20+float64(ni)*15, col, w-172, 24+float64(ni)*15, template.HTMLEscapeString(name), len(r.Energies[name]))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`, m, h-m, w-m/2, h-m)
	for i := 0; i <= 4; i++ {
		v := lo + float64(i)/4*(hi-lo)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%.3g</text>`, m+float64(i)/4*(w-1.5*m), h-m+14, v)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">energy E(x) = -logsumexp f(x) (share of each set per bin)</text></svg>`, w/2, h-8)
	return b.String()
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>ebm evaluation: {{.Checkpoint}}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}img{image-rendering:pixelated}figure{display:inline-block;margin:0 1.5em 1em 0;vertical-align:top}figcaption{font-size:90%;color:#555;max-width:420px}</style></head><body>
<h1>Evaluation of {{.Checkpoint}}</h1>
<p>Model {{.Sizes}}, {{if eq .R.Weights "ema"}}the moving average of its weights (decay {{.R.EMADecay}}){{else}}its trained weights{{end}}; judge: a fixed MLP {{.R.Judge.Sizes}} trained with cross-entropy only (test accuracy {{printf "%.4f" .R.Judge.TestAcc}}), whose last hidden layer gives the FID features.</p>
<h2>Classification</h2>
<table><tr><th>accuracy</th><th>NLL</th><th>ECE (15 bins)</th></tr>
<tr><td>{{printf "%.4f" .R.Accuracy}}</td><td>{{printf "%.4f" .R.NLL}}</td><td>{{printf "%.4f" .R.ECE}}</td></tr></table>
<figure>{{.Reliability}}<figcaption>Reliability diagram: accuracy per confidence bin; the dashed diagonal is perfect calibration.</figcaption></figure>
<h2>Generation</h2>
<p>{{.R.Generation.Samples}} chains from uniform noise, {{.R.Generation.Steps}} Langevin steps (alpha {{.R.Generation.StepSize}}, sigma {{.R.Generation.Noise}}).</p>
<table><tr><th>FID (samples vs test)</th><th>FID floor (10k train vs test)</th><th>FID of the replay buffer ({{.R.Generation.BufferSamples}} chains)</th><th>conditional accuracy</th><th>class coverage</th><th>class coverage of the replay buffer</th><th>inpainting accuracy</th></tr>
<tr><td>{{printf "%.3f" .R.FID}}</td><td>{{printf "%.3f" .R.FIDFloor}}</td><td>{{if .R.FIDBuffer}}{{printf "%.3f" .R.FIDBuffer}}{{else}}no buffer{{end}}</td><td>{{printf "%.4f" .R.CondAccuracy}}</td><td>{{printf "%.4f" .R.ClassCoverage}}</td><td>{{if .R.CoverageBuffer}}{{printf "%.4f" .R.CoverageBuffer}}{{else}}no buffer{{end}}</td><td>{{printf "%.4f" .R.InpaintAccuracy}}</td></tr></table>
<table><tr><th>class</th>{{range $c, $_ := .R.ClassCounts}}<th>{{$c}}</th>{{end}}</tr>
<tr><td style="text-align:left">unconditional samples the judge reads as this class</td>{{range .R.ClassCounts}}<td>{{.}}</td>{{end}}</tr>
<tr><td style="text-align:left">conditional chains of this class the judge reads as it</td>{{range .R.CondPerClass}}<td>{{printf "%.3f" .}}</td>{{end}}</tr></table>
<figure><img src="{{.Samples}}" width="476"><figcaption>Unconditional samples from noise.</figcaption></figure>
<figure><img src="{{.Classes}}" width="600"><figcaption>Class-conditional samples from E(x, y): one row per class 0-9.</figcaption></figure>
<figure><img src="{{.Chain}}" width="476"><figcaption>Eight Langevin chains from noise, frame by frame.</figcaption></figure>
<figure><img src="{{.Inpaint}}" width="476"><figcaption>Inpainting: lower halves hidden (row 1), filled by Langevin on the hidden pixels (row 2), originals (row 3).</figcaption></figure>
<h2>Out-of-distribution detection (AUROC, MNIST test = positive)</h2>
<table><tr><th>set</th><th>log p(x)</th><th>max softmax</th><th>-|grad log p(x)|</th></tr>
{{range .OOD}}<tr><td style="text-align:left">{{.Name}}</td><td>{{printf "%.4f" .LogPx}}</td><td>{{printf "%.4f" .MaxSoftmax}}</td><td>{{printf "%.4f" .GradNorm}}</td></tr>{{end}}</table>
{{if .R.FashionPerClass}}<table><tr><th>Fashion-MNIST class</th>{{range .FashionClasses}}<th>{{.}}</th>{{end}}</tr>
<tr><td style="text-align:left">log p(x) AUROC against this class alone</td>{{range .R.FashionPerClass}}<td>{{printf "%.4f" .}}</td>{{end}}</tr></table>{{end}}
<figure>{{.Energy}}<figcaption>Energy histograms of data, samples and out-of-distribution data.</figcaption></figure>
</body></html>
`))

// FashionClasses names Fashion-MNIST's labels 0-9.
var FashionClasses = [10]string{"T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"}

// HTML renders the report page: every figure and picture in one file.
func (r *Report) HTML(checkpoint string, sizes []int) ([]byte, error) {
	// Pictures go inline as data URIs, so the page stands alone.
	dataURI := func(mime string, b []byte) template.URL {
		return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
	}
	png := func(pix []float32, n, ncol int) (template.URL, error) {
		b, err := train.GridPNG(pix, n, 28, 28, ncol)
		return dataURI("image/png", b), err
	}
	samples, err := png(r.SampleGrid, len(r.SampleGrid)/784, 8)
	if err != nil {
		return nil, err
	}
	classes, err := png(r.ClassGrid, len(r.ClassGrid)/784, len(r.ClassGrid)/784/10)
	if err != nil {
		return nil, err
	}
	inpaint, err := png(r.InpaintGrid, len(r.InpaintGrid)/784, len(r.InpaintGrid)/784/3)
	if err != nil {
		return nil, err
	}
	chain, err := r.ChainGIF()
	if err != nil {
		return nil, err
	}
	type oodRow struct {
		Name                        string
		LogPx, MaxSoftmax, GradNorm float64
	}
	var ood []oodRow
	for _, name := range []string{"fashion", "uniform", "gaussian", "inverted"} {
		if s, ok := r.OODAUROC[name]; ok {
			ood = append(ood, oodRow{name, s["logpx"], s["maxsoftmax"], s["gradnorm"]})
		}
	}
	var buf bytes.Buffer
	err = page.Execute(&buf, map[string]any{
		"Checkpoint": checkpoint, "Sizes": sizes, "R": r, "Samples": samples, "Classes": classes, "Inpaint": inpaint,
		"Chain": dataURI("image/gif", chain), "OOD": ood, "FashionClasses": FashionClasses,
		"Reliability": template.HTML(r.reliabilitySVG()), "Energy": template.HTML(r.energySVG()),
	})
	return buf.Bytes(), err
}
