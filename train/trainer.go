package train

import (
	"fmt"
	"log/slog"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// Trainer holds a model and everything one training step needs,
// allocated once.
type Trainer struct {
	Recipe      Recipe
	Model       *nn.Net
	Opt         *nn.Adam
	Buffer      *langevin.Buffer
	EMA         *nn.EMA // moving average of the weights; nil when Recipe.EMADecay is 0
	Train, Test *mnist.Dataset
	Progress    Progress
	Log         *slog.Logger // nil: silent

	sampler *langevin.Sampler
	run     nn.Parallel    // the sampler's pool, for the rest of a step
	sam     *nn.SAM        // nil: Recipe.SAMRho is 0
	start   langevin.Start // nil: chains start from uniform noise
	snap    *snapshot
	grads   *nn.Grads
	ws      *nn.Workspace
	evalWS  *nn.Workspace
	emaWS   *nn.Workspace
	x       []float32 // the loss pass's rows (lossRows) x dim: the real batch, the samples, then the real batch unmoved (--shift_ce_only)
	noise   []float32 // B x dim: the data noise
	img     []float32 // one image, the source of its shift
	valX    []float32 // a validation batch of images as floats
	y       []int
	ys      []int // labels of the drawn buffer slots, for class-conditional chains
	dl      []float32
	src     *rand.PCG
	rng     *rand.Rand
}

// NewTrainer builds a fresh model for r on the given data, with workers
// workers, the pool of the chains and of the step (0: one per core).
func NewTrainer(r Recipe, workers int, trainSet, testSet *mnist.Dataset, log *slog.Logger) (*Trainer, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	dim := trainSet.Dim()
	if trainSet.Shape() != testSet.Shape() {
		return nil, fmt.Errorf("train images are %v, test images %v", trainSet.Shape(), testSet.Shape())
	}
	arch, err := r.Arch(trainSet.Shape(), len(trainSet.ClassNames()))
	if err != nil {
		return nil, err
	}
	model, err := nn.New(arch, rand.New(rand.NewPCG(r.Seed, streams.ModelInit)))
	if err != nil {
		return nil, err
	}
	t := &Trainer{Recipe: r, Model: model, Opt: nn.NewAdam(model, r.LR), Train: trainSet, Test: testSet, Log: log,
		Progress: Progress{Epoch: 1, LRScale: 1}}
	t.Opt.ClipNorm = r.ClipNorm
	if r.EMADecay > 0 {
		if t.EMA, err = nn.NewEMA(model, r.EMADecay); err != nil {
			return nil, err
		}
	}
	if r.SAMRho > 0 {
		if t.sam, err = nn.NewSAM(model, r.SAMRho); err != nil {
			return nil, err
		}
	}
	if r.generative() {
		if t.start, err = ChainStart(r.ChainStart, trainSet); err != nil {
			return nil, err
		}
	}
	if r.BufferSize > 0 && r.generative() {
		t.Buffer, err = langevin.NewBufferFrom(r.BufferSize, dim, len(trainSet.ClassNames()), r.BufferReinit, t.start, rand.New(rand.NewPCG(r.Seed, streams.BufferInit)))
		if err != nil {
			return nil, err
		}
	}
	dyn := r.Dynamics()
	dyn.Workers = workers
	if t.sampler, err = langevin.New(jem.Energy{Model: t.Model}, dyn); err != nil {
		return nil, err
	}
	b := r.BatchSize
	// The step's own products and updates run on the sampler's workers.
	t.run = t.sampler.Parallel
	t.grads = t.Model.NewGrads()
	t.ws = t.Model.NewParallelWorkspace(r.lossRows(), t.run, t.sampler.Workers())
	t.evalWS = t.Model.NewParallelWorkspace(validationBatch, t.run, t.sampler.Workers())
	if t.EMA != nil {
		t.emaWS = t.EMA.Model().NewParallelWorkspace(validationBatch, t.run, t.sampler.Workers())
	}
	t.x = make([]float32, r.lossRows()*dim)
	t.noise = make([]float32, b*dim)
	t.img = make([]float32, dim)
	t.valX = make([]float32, validationBatch*dim)
	t.y = make([]int, b)
	if r.ClassCond && r.BufferSize > 0 {
		t.ys = make([]int, b)
	}
	t.dl = make([]float32, r.lossRows()*t.Model.Out())
	t.src = rand.NewPCG(0, 0)
	t.rng = rand.New(t.src)
	return t, nil
}

// Close stops the sampler's workers.
func (t *Trainer) Close() { t.sampler.Close() }

// Workers is the number of workers in the trainer's pool.
func (t *Trainer) Workers() int { return t.sampler.Workers() }

// epochOrder is the shuffled order of one epoch, a function of (seed, epoch)
// only, so a resumed run sees the same batches.
func (t *Trainer) epochOrder(epoch int) [][]int {
	rng := rand.New(rand.NewPCG(t.Recipe.Seed, streams.EpochOrder(epoch)))
	return mnist.Batches(t.Train.N, t.Recipe.BatchSize, rng, true)
}

// lossRows is the number of images in a step's loss pass: the real batch
// and the samples, and with ShiftCEOnly the real batch unmoved as well; a
// plain classifier's, the real batch alone.
func (r Recipe) lossRows() int {
	switch {
	case !r.generative():
		return r.BatchSize
	case r.ShiftCEOnly:
		return 3 * r.BatchSize
	}
	return 2 * r.BatchSize
}

// generative is whether the recipe trains the energy on samples: with
// --gen_weight 0 it is a plain classifier and runs no chains.
func (r Recipe) generative() bool { return r.GenWeight > 0 }

// totalSteps is the number of optimiser steps of the whole run.
func (t *Trainer) totalSteps() int { return t.Recipe.Epochs * (t.Train.N / t.Recipe.BatchSize) }

// StepFLOPs counts the floating-point operations of the products of one
// Step (two per multiply-add): the Langevin chains' forward passes and
// input gradients, then the batch's forward pass, its parameter gradients
// and its input gradients below the first layer. Element-wise work is not
// counted.
func (t *Trainer) StepFLOPs() float64 {
	var macs, first float64 // multiply-adds of one image through the network, and of its first layer
	for i, l := range t.Model.Layers {
		macs += float64(l.Rows() * l.In * l.Out)
		if i == 0 {
			first = float64(l.Rows() * l.In * l.Out)
		}
	}
	r := t.Recipe
	var chains float64
	if r.generative() {
		chains = float64(r.LangevinSteps*r.BatchSize) * 2 * macs
	}
	batch := float64(r.lossRows()) * (macs + macs + macs - first)
	if r.SAMRho > 0 {
		batch *= 2
	}
	return 2 * (chains + batch)
}
