package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/train"
)

// Options set what an evaluation draws.
type Options struct {
	Samples      int     // fresh chains from noise (and conditional chains in all)
	Steps        int     // Langevin steps of those chains
	StepSize     float32 // SGLD alpha
	Noise        float32 // SGLD sigma
	InpaintSteps int
	Workers      int
	Seed         uint64
}

// Data is what an evaluation compares against.
type Data struct {
	Train, Test *mnist.Dataset
	Fashion     *mnist.Dataset // Fashion-MNIST test set; nil skips that OOD set
}

// Report holds every figure; the JSON keys are stable.
type Report struct {
	// Weights says which weights were evaluated: "ema", the moving average
	// the run kept (--ema), or "trained", the optimiser's own.
	Weights         string                        `json:"weights"`
	EMADecay        float64                       `json:"ema_decay,omitempty"`
	Accuracy        float64                       `json:"accuracy"`
	NLL             float64                       `json:"nll"`
	ECE             float64                       `json:"ece"`
	FID             float64                       `json:"fid"`
	FIDFloor        float64                       `json:"fid_floor"`
	FIDBuffer       *float64                      `json:"fid_buffer,omitempty"`
	CoverageBuffer  *float64                      `json:"class_coverage_buffer,omitempty"` // class_coverage of the replay buffer's chains
	CondAccuracy    float64                       `json:"cond_accuracy"`
	ClassCoverage   float64                       `json:"class_coverage"`
	ClassCounts     []int                         `json:"class_counts"`            // the judge's labels of the unconditional samples, per class
	CondPerClass    []float64                     `json:"cond_accuracy_per_class"` // cond_accuracy of each class's chains
	InpaintAccuracy float64                       `json:"inpaint_accuracy"`
	OODAUROC        map[string]map[string]float64 `json:"ood_auroc"`
	// FashionPerClass is ood_auroc.fashion.logpx with one Fashion-MNIST
	// class at a time as the negatives (0 T-shirt/top ... 9 ankle boot):
	// which clothing the model takes for digits. Absent when a class has no
	// image in the set evaluated (--test_limit).
	FashionPerClass []float64      `json:"ood_auroc_fashion_per_class,omitempty"`
	Reliability     []Bin          `json:"reliability"`
	Generation      Generation     `json:"generation"`
	Judge           ClassifierInfo `json:"judge"`

	// Pictures and energies for the report page (not in the JSON).
	Energies    map[string][]float64 `json:"-"`
	SampleGrid  []float32            `json:"-"` // 64 unconditional samples
	ClassGrid   []float32            `json:"-"` // 10 per class, a row each
	InpaintGrid []float32            `json:"-"` // 8 masked inputs, then their fills
	ChainFrames [][]float32          `json:"-"` // 8 chains at successive steps
}

// Generation says how samples were drawn.
type Generation struct {
	Samples       int     `json:"samples"`
	Steps         int     `json:"steps"`
	StepSize      float32 `json:"step_size"`
	Noise         float32 `json:"noise"`
	BufferSamples int     `json:"buffer_samples"` // replay-buffer chains scored separately (fid_buffer)
}

// Evaluate measures model (and its replay buffer, if any) on data.
func Evaluate(ck *train.Checkpoint, data Data, o Options) (*Report, error) {
	if o.Samples < 10 || o.Steps <= 0 {
		return nil, fmt.Errorf("eval: --samples = %d, --steps = %d: need at least 10 samples and 1 step", o.Samples, o.Steps)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	m := ck.Model
	judge, info, err := FixedClassifier()
	if err != nil {
		return nil, err
	}
	rep := &Report{Judge: info, OODAUROC: map[string]map[string]float64{}, Energies: map[string][]float64{},
		Generation: Generation{Samples: o.Samples, Steps: o.Steps, StepSize: o.StepSize, Noise: o.Noise}, Weights: "trained"}
	if ck.Averaged() {
		rep.Weights, rep.EMADecay = "ema", ck.Config.EMA
	}

	// Classification and calibration.
	sc, err := scoreSet(m, data.Test.Images, data.Test.N)
	if err != nil {
		return nil, err
	}
	conf := make([]float64, data.Test.N)
	correct := make([]bool, data.Test.N)
	for i := range data.Test.N {
		y := int(data.Test.Labels[i])
		rep.NLL -= sc.logProb[i*10+y]
		conf[i] = sc.maxSoftmax[i]
		correct[i] = sc.pred[i] == y
		if correct[i] {
			rep.Accuracy++
		}
	}
	rep.Accuracy /= float64(data.Test.N)
	rep.NLL /= float64(data.Test.N)
	if rep.ECE, rep.Reliability, err = ECE(conf, correct, 15); err != nil {
		return nil, err
	}
	rep.Energies["MNIST test"] = negate(sc.logpx)

	// Out-of-distribution sets, each against the MNIST test set.
	rng := rand.New(rand.NewPCG(o.Seed, 0x00d))
	dim := data.Test.Dim()
	ood := map[string][]float32{"uniform": make([]float32, data.Test.N*dim), "gaussian": make([]float32, data.Test.N*dim),
		"inverted": make([]float32, data.Test.N*dim)}
	for i := range ood["uniform"] {
		ood["uniform"][i] = float32(2*rng.Float64() - 1)
		ood["gaussian"][i] = float32(math.Max(-1, math.Min(1, rng.NormFloat64())))
		ood["inverted"][i] = -data.Test.Images[i]
	}
	if data.Fashion != nil {
		ood["fashion"] = data.Fashion.Images
	}
	for name, x := range ood {
		s, err := scoreSet(m, x, len(x)/dim)
		if err != nil {
			return nil, err
		}
		rep.OODAUROC[name] = map[string]float64{}
		for score, pair := range map[string][2][]float64{
			"logpx": {sc.logpx, s.logpx}, "maxsoftmax": {sc.maxSoftmax, s.maxSoftmax}, "gradnorm": {sc.negGradNorm, s.negGradNorm},
		} {
			if rep.OODAUROC[name][score], err = AUROC(pair[0], pair[1]); err != nil {
				return nil, err
			}
		}
		if name == "fashion" {
			rep.Energies["Fashion-MNIST"] = negate(s.logpx)
			if rep.FashionPerClass, err = perClassAUROC(sc.logpx, s.logpx, data.Fashion.Labels); err != nil {
				return nil, err
			}
		}
	}

	// Samples from noise, unconditional and per class.
	sampler, err := langevin.New(train.Energy{Model: m}, langevin.Config{Steps: o.Steps, StepSize: o.StepSize, Noise: o.Noise,
		Clamp: ck.Config.Clamp, Seed: o.Seed, Workers: o.Workers})
	if err != nil {
		return nil, err
	}
	defer sampler.Close()
	x := make([]float32, o.Samples*dim)
	if err := sampler.Run(x, nil, nil, true, 1); err != nil {
		return nil, err
	}
	rep.SampleGrid = x[:min(64, o.Samples)*dim]
	ss, err := scoreSet(m, x, o.Samples)
	if err != nil {
		return nil, err
	}
	rep.Energies["samples"] = negate(ss.logpx)
	jws := judge.NewWorkspace(500)
	pred, err := Predict(judge, jws, x, o.Samples)
	if err != nil {
		return nil, err
	}
	rep.ClassCoverage = Coverage(pred, 10)
	rep.ClassCounts = Counts(pred, 10)
	testFeat, fd, err := Features(judge, jws, data.Test.Images, data.Test.N)
	if err != nil {
		return nil, err
	}
	testG, err := Fit(testFeat, fd)
	if err != nil {
		return nil, err
	}
	fidOf := func(x []float32, n int) (float64, error) {
		f, _, err := Features(judge, jws, x, n)
		if err != nil {
			return 0, err
		}
		g, err := Fit(f, fd)
		if err != nil {
			return 0, err
		}
		return FID(g, testG)
	}
	if rep.FID, err = fidOf(x, o.Samples); err != nil {
		return nil, err
	}
	floorN := min(10000, data.Train.N)
	if rep.FIDFloor, err = fidOf(data.Train.Images[:floorN*dim], floorN); err != nil {
		return nil, err
	}
	if buf, n := ck.BufferSamples(); n >= 10 {
		f, err := fidOf(buf, n)
		if err != nil {
			return nil, err
		}
		rep.FIDBuffer = &f
		bp, err := Predict(judge, jws, buf, n)
		if err != nil {
			return nil, err
		}
		cov := Coverage(bp, 10)
		rep.CoverageBuffer = &cov
		rep.Generation.BufferSamples = n
	}

	per := max(1, o.Samples/10)
	xc := make([]float32, 10*per*dim)
	yc := make([]int, 10*per)
	for i := range yc {
		yc[i] = i / per
	}
	if err := sampler.Run(xc, yc, nil, true, 2); err != nil {
		return nil, err
	}
	pc, err := Predict(judge, jws, xc, len(yc))
	if err != nil {
		return nil, err
	}
	rep.CondPerClass = make([]float64, 10)
	for i, p := range pc {
		if p == yc[i] {
			rep.CondAccuracy++
			rep.CondPerClass[yc[i]]++
		}
	}
	rep.CondAccuracy /= float64(len(yc))
	for c := range rep.CondPerClass {
		rep.CondPerClass[c] /= float64(per)
	}
	for c := range 10 {
		for j := range min(10, per) {
			rep.ClassGrid = append(rep.ClassGrid, xc[(c*per+j)*dim:(c*per+j+1)*dim]...)
		}
	}

	// A few chains from noise, frame by frame, for the animation.
	frames := 20
	chain := make([]float32, 8*dim)
	if err := sampler.SetDynamics(max(1, o.Steps/frames), o.StepSize, o.Noise); err != nil {
		return nil, err
	}
	for f := range frames + 1 {
		if f > 0 {
			if err := sampler.Run(chain, nil, nil, f == 1, uint64(100+f)); err != nil {
				return nil, err
			}
		} else {
			for i := range chain {
				chain[i] = float32(2*rng.Float64() - 1)
			}
		}
		rep.ChainFrames = append(rep.ChainFrames, append([]float32(nil), chain...))
	}

	if rep.InpaintAccuracy, rep.InpaintGrid, err = Inpaint(m, judge, data.Test, min(1000, data.Test.N), o); err != nil {
		return nil, err
	}
	return rep, nil
}

// Inpaint hides the lower half of the first n test digits, fills it by
// Langevin dynamics on the hidden pixels only (E(x), visible pixels fixed),
// and returns the judge's accuracy on the results and a grid (8 hidden
// inputs, then their fills, then the originals).
func Inpaint(m, judge *nn.MLP, test *mnist.Dataset, n int, o Options) (float64, []float32, error) {
	dim := test.Dim()
	mask := make([]bool, dim)
	for i := dim / 2; i < dim; i++ {
		mask[i] = true
	}
	s, err := langevin.New(train.Energy{Model: m}, langevin.Config{Steps: o.InpaintSteps, StepSize: o.StepSize, Noise: o.Noise,
		Clamp: true, Seed: o.Seed ^ 0x1a, Workers: max(1, o.Workers)})
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	if err := s.SetMask(mask); err != nil {
		return 0, nil, err
	}
	x := append([]float32(nil), test.Images[:n*dim]...)
	rng := rand.New(rand.NewPCG(o.Seed, 0x1a))
	for i := range n {
		for j := dim / 2; j < dim; j++ {
			x[i*dim+j] = float32(2*rng.Float64() - 1)
		}
	}
	hidden := append([]float32(nil), x[:min(8, n)*dim]...)
	if err := s.Run(x, nil, nil, false, 3); err != nil {
		return 0, nil, err
	}
	pred, err := Predict(judge, judge.NewWorkspace(500), x, n)
	if err != nil {
		return 0, nil, err
	}
	var acc float64
	for i, p := range pred {
		if p == int(test.Labels[i]) {
			acc++
		}
	}
	grid := append(append(hidden, x[:min(8, n)*dim]...), test.Images[:min(8, n)*dim]...)
	return acc / float64(n), grid, nil
}

// perClassAUROC is the AUROC of pos against the negatives of each class c
// (labels[i] == c) on its own; nil when a class has no images (a cut-down
// OOD set), as no figure is then defined for it.
func perClassAUROC(pos, neg []float64, labels []uint8) ([]float64, error) {
	byClass := make([][]float64, 10)
	for i, l := range labels {
		if int(l) >= len(byClass) {
			return nil, fmt.Errorf("eval: OOD label %d of image %d: want 0-9", l, i)
		}
		byClass[l] = append(byClass[l], neg[i])
	}
	out := make([]float64, 10)
	for c, v := range byClass {
		if len(v) == 0 {
			return nil, nil
		}
		a, err := AUROC(pos, v)
		if err != nil {
			return nil, fmt.Errorf("eval: OOD class %d: %w", c, err)
		}
		out[c] = a
	}
	return out, nil
}

// scores are per-image numbers from one pass of the model.
type scores struct {
	logpx       []float64 // logsumexp f(x) = -E(x): log p(x) up to a constant
	maxSoftmax  []float64
	negGradNorm []float64 // -|grad_x log p(x)|: higher for typical inputs
	logProb     []float64 // n x 10 log-softmax
	pred        []int
}

func scoreSet(m *nn.MLP, x []float32, n int) (*scores, error) {
	const batch = 250
	ev := train.Energy{Model: m}.NewEvaluator(batch)
	dim := m.In()
	s := &scores{logpx: make([]float64, n), maxSoftmax: make([]float64, n), negGradNorm: make([]float64, n),
		logProb: make([]float64, n*10), pred: make([]int, n)}
	ws := m.NewWorkspace(batch)
	e := make([]float32, batch)
	g := make([]float32, batch*dim)
	for lo := 0; lo < n; lo += batch {
		b := min(batch, n-lo)
		xb := x[lo*dim : (lo+b)*dim]
		z, err := ws.Forward(xb, b)
		if err != nil {
			return nil, err
		}
		for i := range b {
			row := z[i*10 : (i+1)*10]
			lse := nn.LogSumExp(row)
			s.logpx[lo+i] = lse
			s.pred[lo+i] = nn.Argmax(row)
			s.maxSoftmax[lo+i] = math.Exp(float64(row[s.pred[lo+i]]) - lse)
			for j, v := range row {
				s.logProb[(lo+i)*10+j] = float64(v) - lse
			}
		}
		if err := ev.EnergyGrad(xb, nil, e[:b], g[:b*dim]); err != nil {
			return nil, err
		}
		for i := range b {
			var ss float64
			for _, v := range g[i*dim : (i+1)*dim] {
				ss += float64(v) * float64(v)
			}
			s.negGradNorm[lo+i] = -math.Sqrt(ss)
		}
	}
	return s, nil
}

func negate(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}
