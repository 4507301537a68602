package eval

import (
	"context"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/train"
)

const (
	gridSamples  = 64    // unconditional samples on the report page
	gridPerClass = 10    // conditional samples per class on the report page
	frameChains  = 8     // chains in the animation
	fidFloorN    = 10000 // training images whose FID against the test set is the floor
	judgeBatch   = 500
)

// generate fills the figures of samples from noise: FID and coverage of
// unconditional chains (and of the replay buffer), conditional accuracy,
// and the pictures of the report page.
func generate(ctx context.Context, ck *train.Checkpoint, judge *nn.Net, testX []float32, data Data, o Options, rep *Report) error {
	m, dim := ck.Model, data.Test.Dim()
	sampler, err := langevin.New(jem.Energy{Model: m}, o.Dynamics)
	if err != nil {
		return err
	}
	defer sampler.Close()
	x := make([]float32, o.Samples*dim)
	o.watch(sampler, "samples")
	if err := o.run(ctx, sampler, x, nil, dim, len(rep.Classes), streams.UncondRound); err != nil {
		return err
	}
	rep.SampleGrid = x[:min(gridSamples, o.Samples)*dim]
	ss, err := scoreSet(ctx, m, x, o.Samples)
	if err != nil {
		return err
	}
	rep.Energies = append(rep.Energies, EnergySet{"samples", negate(ss.logpx)})
	jws := judge.NewWorkspace(judgeBatch)
	pred, err := Predict(ctx, judge, jws, x, o.Samples)
	if err != nil {
		return err
	}
	classes := len(rep.Classes)
	rep.ClassCoverage = Coverage(pred, classes)
	rep.ClassCounts = Counts(pred, classes)

	o.report("FID", 0, 1)
	fid, err := newFIDScorer(ctx, judge, jws, testX, data.Test.N)
	if err != nil {
		return err
	}
	if rep.FID, err = fid.score(ctx, x, o.Samples); err != nil {
		return err
	}
	floorN := min(fidFloorN, data.Train.N)
	if rep.FIDFloor, err = fid.score(ctx, data.Train.Floats(0, floorN), floorN); err != nil {
		return err
	}
	if buf, n := ck.BufferSamples(); n >= classes {
		f, err := fid.score(ctx, buf, n)
		if err != nil {
			return err
		}
		rep.FIDBuffer = &f
		bp, err := Predict(ctx, judge, jws, buf, n)
		if err != nil {
			return err
		}
		cov := Coverage(bp, classes)
		rep.CoverageBuffer = &cov
		rep.Generation.BufferSamples = n
	}
	if err := conditional(ctx, sampler, judge, jws, dim, o, rep); err != nil {
		return err
	}
	return animate(ctx, sampler, dim, o, rep)
}

// conditional runs Samples/10 chains of E(x, y) for each class y and
// scores the share the judge reads as y.
func conditional(ctx context.Context, sampler *langevin.Sampler, judge *nn.Net, jws *nn.Workspace, dim int, o Options, rep *Report) error {
	classes := len(rep.Classes)
	per := max(1, o.Samples/classes)
	xc := make([]float32, classes*per*dim)
	yc := make([]int, classes*per)
	for i := range yc {
		yc[i] = i / per
	}
	o.watch(sampler, "conditional samples")
	if err := o.run(ctx, sampler, xc, yc, dim, classes, streams.CondRound); err != nil {
		return err
	}
	pc, err := Predict(ctx, judge, jws, xc, len(yc))
	if err != nil {
		return err
	}
	rep.CondPerClass = make([]float64, classes)
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
	for c := range classes {
		for j := range min(gridPerClass, per) {
			rep.ClassGrid = append(rep.ClassGrid, xc[(c*per+j)*dim:(c*per+j+1)*dim]...)
		}
	}
	return nil
}

// run advances the chains in x (labels y, or nil for E(x)) in round from
// their start: uniform noise (the sampler's own), or draws from o.Start,
// each of its label's law or, unlabelled, of a class drawn uniformly.
func (o Options) run(ctx context.Context, sampler *langevin.Sampler, x []float32, y []int, dim, classes int, round uint64) error {
	if o.Start == nil {
		return sampler.RunContext(ctx, x, y, nil, true, round)
	}
	o.fill(x, y, dim, classes, round)
	return sampler.RunContext(ctx, x, y, nil, false, round)
}

// fill draws the chains in x from o.Start, as run does.
func (o Options) fill(x []float32, y []int, dim, classes int, round uint64) {
	langevin.FillChains(o.Start, x, dim, y, classes, rand.New(rand.NewPCG(o.Dynamics.Seed^streams.EvalStart, round)))
}

// animate records a few chains from noise frame by frame: the starting
// noise, then every Dynamics.Steps/MaxFrames steps.
func animate(ctx context.Context, sampler *langevin.Sampler, dim int, o Options, rep *Report) error {
	chain := make([]float32, frameChains*dim)
	stride := max(1, o.Dynamics.Steps/streams.MaxFrames)
	sampler.SetProgress(nil)
	if o.Start != nil {
		o.fill(chain, nil, dim, len(rep.Classes), streams.FramesRound+1)
	}
	for f := range streams.MaxFrames + 1 {
		o.report("animation", f, streams.MaxFrames+1)
		// Frame 0 is the noise that frame 1's chains start from: the same
		// round, run for no steps.
		steps, round := stride, streams.FramesRound+uint64(f)
		if f == 0 {
			steps, round = 0, streams.FramesRound+1
		}
		if err := sampler.SetDynamics(steps, o.Dynamics.Alpha, o.Dynamics.Sigma); err != nil {
			return err
		}
		if err := sampler.RunContext(ctx, chain, nil, nil, f <= 1 && o.Start == nil, round); err != nil {
			return err
		}
		rep.ChainFrames = append(rep.ChainFrames, append([]float32(nil), chain...))
	}
	return nil
}

// fidScorer holds the judge's Gaussian of the test set's features.
type fidScorer struct {
	judge *nn.Net
	ws    *nn.Workspace
	test  Gaussian
	dim   int
}

func newFIDScorer(ctx context.Context, judge *nn.Net, ws *nn.Workspace, testX []float32, n int) (*fidScorer, error) {
	feat, fd, err := Features(ctx, judge, ws, testX, n)
	if err != nil {
		return nil, err
	}
	g, err := Fit(feat, fd)
	if err != nil {
		return nil, err
	}
	return &fidScorer{judge: judge, ws: ws, test: g, dim: fd}, nil
}

// score is the FID of n images against the test set.
func (s *fidScorer) score(ctx context.Context, x []float32, n int) (float64, error) {
	f, _, err := Features(ctx, s.judge, s.ws, x, n)
	if err != nil {
		return 0, err
	}
	g, err := Fit(f, s.dim)
	if err != nil {
		return 0, err
	}
	return FID(g, s.test)
}
