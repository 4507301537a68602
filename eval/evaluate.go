package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

// Options set what an evaluation draws.
type Options struct {
	Samples int // fresh chains from noise (and conditional chains in all)
	// Dynamics are those chains' (Steps of them), and the inpainting's
	// (InpaintSteps); Workers and Seed serve every stage.
	Dynamics     langevin.Config
	InpaintSteps int
	// ChainStart names the law the chains from noise start from (a
	// --chain_start; "" is uniform noise), the run's own by default; Start
	// is that law, fitted to the training images by FitStart unless set.
	// The inpainting's hidden pixels then start from the law conditioned on
	// the visible half, if it can be, else from the lower half of a draw of
	// a random class.
	Start      langevin.Start
	ChainStart string
	// Progress, if set, hears which stage the evaluation is in and how far
	// along it is (done of total); it is called from the sampler's workers.
	Progress func(stage string, done, total int)
}

// report tells o.Progress, if set.
func (o Options) report(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// watch makes s report its shards as stage.
func (o Options) watch(s *langevin.Sampler, stage string) {
	if o.Progress != nil {
		s.SetProgress(func(done, total int) { o.Progress(stage, done, total) })
	}
}

// Data is what an evaluation compares against.
type Data struct {
	Name        string // the data set's name, reported with its figures
	Train, Test *mnist.Dataset
	// OOD are other data sets' test images, out of distribution for a
	// model of this one, reported under their names.
	OOD   []OODSet
	Judge *Judge // scores the generated images: see FindJudge
}

// OODSet is one out-of-distribution set.
type OODSet struct {
	Name string
	Test *mnist.Dataset
}

// Report holds every figure; the JSON keys are stable.
type Report struct {
	// Weights says which weights were evaluated: "ema", the moving average
	// the run kept (--ema_decay), or "trained", the optimiser's own.
	Data            string                        `json:"data"`    // the data set's name
	Classes         []string                      `json:"classes"` // its class names, in label order
	Weights         string                        `json:"weights"`
	Epoch           int                           `json:"epoch"` // epochs the checkpoint had trained
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
	// OODScore is the score the run's recipe declared as its OOD score,
	// and OODScoreAUROC that score's column of ood_auroc, set by set.
	OODScore      string             `json:"ood_score"`
	OODScoreAUROC map[string]float64 `json:"ood_score_auroc"`
	// OODPerClass is, for each OOD data set, ood_auroc[set].logpx with one
	// of its classes at a time as the negatives: which clothing a digit
	// model takes for digits, say. A set is absent when one of its classes
	// has no image in the images evaluated (--test_limit).
	OODPerClass map[string][]float64 `json:"ood_auroc_per_class,omitempty"`
	Reliability []Bin                `json:"reliability"`
	Generation  Generation           `json:"generation"`
	Judge       ClassifierInfo       `json:"judge"`

	// Pictures and energies for the report page (not in the JSON).
	Shape       mnist.Shape         `json:"-"` // the images'
	oodSets     []oodSet            // the OOD sets in report order
	oodClasses  map[string][]string // each OOD data set's class names
	Energies    []EnergySet         `json:"-"` // E(x) of the test set, the samples and each OOD set
	SampleGrid  []float32           `json:"-"` // 64 unconditional samples
	ClassGrid   []float32           `json:"-"` // 10 per class, a row each
	InpaintGrid []float32           `json:"-"` // 8 masked inputs, then their fills
	ChainFrames [][]float32         `json:"-"` // 8 chains at successive steps
}

// EnergySet is E(x) of each image of one set.
type EnergySet struct {
	Name     string
	Energies []float64
}

// Generation says how samples were drawn.
type Generation struct {
	Samples       int     `json:"samples"`
	LangevinSteps int     `json:"langevin_steps"`
	LangevinAlpha float32 `json:"langevin_alpha"`
	LangevinSigma float32 `json:"langevin_sigma"`
	ChainStart    string  `json:"chain_start"`    // where the chains started: uniform noise, or class_gauss
	BufferSamples int     `json:"buffer_samples"` // replay-buffer chains scored separately (fid_buffer)
}

// DefaultOptions are an evaluation of ck with the run's own dynamics and
// chain length.
func DefaultOptions(ck *train.Checkpoint) Options {
	ch := ck.Chains(defaultSamples)
	return Options{Samples: ch.N, Dynamics: ch.Config, InpaintSteps: defaultInpaintSteps, ChainStart: ck.Recipe.ChainStart}
}

// FitStart fits o.Start, the law o.ChainStart names, to the training
// images, unless it is set; a law under the name of uniform noise, or a
// name unknown, is refused.
func (o *Options) FitStart(trainSet *mnist.Dataset) error {
	if o.ChainStart == "" {
		o.ChainStart = "uniform"
	}
	if o.Start != nil {
		if o.ChainStart == "uniform" {
			return fmt.Errorf("eval: chain start %q with a start law %T", o.ChainStart, o.Start)
		}
		return nil
	}
	if o.ChainStart != "uniform" && trainSet == nil && slices.Contains(train.ChainStarts, o.ChainStart) {
		return fmt.Errorf("eval: chain start %q needs the training images to fit it", o.ChainStart)
	}
	start, err := train.ChainStart(o.ChainStart, trainSet)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	o.Start = start
	return nil
}

const (
	defaultSamples      = 10000
	defaultInpaintSteps = 200
)

// Evaluate measures the checkpoint's model (and its replay buffer, if any)
// on data: classification, out-of-distribution detection, generation and
// inpainting, each scored by the fixed judge where images are scored. It
// stops early with ctx's error once ctx is done.
func Evaluate(ctx context.Context, ck *train.Checkpoint, data Data, o Options) (*Report, error) {
	classes := data.Test.ClassNames()
	if err := o.FitStart(data.Train); err != nil {
		return nil, err
	}
	if o.Samples < len(classes) || o.Dynamics.Steps <= 0 {
		return nil, fmt.Errorf("eval: --samples = %d, --langevin_steps = %d: need at least %d samples (one per class) and 1 step", o.Samples, o.Dynamics.Steps, len(classes))
	}
	s := data.Test.Shape()
	if ck.Shape() != s || ck.Model.Out() != len(classes) {
		return nil, fmt.Errorf("eval: model %v is not a model of %s's %v images in %d classes", ck.Model.Arch, data.Name, s, len(classes))
	}
	if data.Judge == nil {
		return nil, fmt.Errorf("eval: no judge for %s's generated images", data.Name)
	}
	if j := data.Judge.Net; j.In() != s.Dim() || j.Out() != len(classes) {
		return nil, fmt.Errorf("eval: judge %v does not read %s's %v images in %d classes", j.Arch, data.Name, s, len(classes))
	}
	for _, set := range data.OOD {
		if set.Test.Shape() != s {
			return nil, fmt.Errorf("eval: out-of-distribution set %s has %v images, %s %v: a model reads only its own shape", set.Name, set.Test.Shape(), data.Name, s)
		}
	}
	judge := data.Judge.Net
	rep := &Report{Data: data.Name, Classes: classes, Shape: s, Judge: data.Judge.Info, Weights: "trained", Epoch: len(ck.Progress.History), OODScore: ck.Recipe.OODScore,
		Generation: Generation{Samples: o.Samples, LangevinSteps: o.Dynamics.Steps, LangevinAlpha: o.Dynamics.Alpha, LangevinSigma: o.Dynamics.Sigma,
			ChainStart: o.ChainStart}}
	if ck.Averaged() {
		rep.Weights, rep.EMADecay = "ema", ck.Recipe.EMADecay
	}
	o.report("classification", 0, 1)
	testX := data.Test.Floats(0, data.Test.N) // the test images as the model sees them
	test, err := classify(ctx, ck.Model, data, testX, rep)
	if err != nil {
		return nil, err
	}
	if err := detectOOD(ctx, ck.Model, test, testX, data, o, rep); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := generate(ctx, ck, judge, testX, data, o, rep); err != nil {
		return nil, err
	}
	if rep.InpaintAccuracy, rep.InpaintGrid, err = Inpaint(ctx, ck.Model, judge, data.Test, min(inpaintDigits, data.Test.N), o); err != nil {
		return nil, err
	}
	return rep, nil
}
