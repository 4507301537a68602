package eval

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"

	"github.com/ebm-project/ebm/nn"

	"github.com/ebm-project/ebm/train"
)

// JSON is the report's machine-readable form.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// report.html is the page's template; the pictures go into it inline.
//
//go:embed report.html
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"value": func(p *float64) float64 { return *p },
}).Parse(pageSource))

// HTML renders the report page: every figure and picture in one file.
func (r *Report) HTML(checkpoint string, arch nn.Arch) ([]byte, error) {
	// Pictures go inline as data URIs, so the page stands alone.
	dataURI := func(mime string, b []byte) template.URL {
		return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
	}
	dim := r.Shape.Dim()
	png := func(pix []float32, ncol int) (template.URL, error) {
		b, err := train.GridPNG(pix, len(pix)/dim, r.Shape, ncol)
		return dataURI("image/png", b), err
	}
	samples, err := png(r.SampleGrid, 8)
	if err != nil {
		return nil, err
	}
	classes, err := png(r.ClassGrid, len(r.ClassGrid)/dim/len(r.Classes))
	if err != nil {
		return nil, err
	}
	inpaint, err := png(r.InpaintGrid, len(r.InpaintGrid)/dim/3)
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
	for _, set := range r.oodSets {
		if s, ok := r.OODAUROC[set.key]; ok {
			ood = append(ood, oodRow{set.title, s["logpx"], s["maxsoftmax"], s["gradnorm"]})
		}
	}
	// Where the chains started, in words.
	start := "uniform noise"
	if c := r.Generation.ChainStart; c != "" && c != "uniform" {
		start = "the run's start law (" + c + ")"
	}
	var buf bytes.Buffer
	err = page.Execute(&buf, map[string]any{"Start": start,
		"Checkpoint": checkpoint, "Arch": arch.String(), "R": r, "Samples": samples, "Classes": classes, "Inpaint": inpaint,
		"Chain": dataURI("image/gif", chain), "OOD": ood, "PerClass": r.perClassRows(),
		"ECEBins": eceBins, "FloorN": fidFloorN, "FrameChains": frameChains,
		"Reliability": template.HTML(r.reliabilitySVG()), "Energy": template.HTML(r.energySVG()),
	})
	return buf.Bytes(), err
}

// perClassRow is one OOD data set's AUROC class by class.
type perClassRow struct {
	Name    string
	Classes []string
	AUROC   []float64
}

// perClassRows are the OOD sets' per-class AUROCs in report order.
func (r *Report) perClassRows() []perClassRow {
	var rows []perClassRow
	for _, set := range r.oodSets {
		if a, ok := r.OODPerClass[set.key]; ok {
			rows = append(rows, perClassRow{set.title, r.oodClasses[set.key], a})
		}
	}
	return rows
}
