package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"` // the hybrid loss, mean over the epoch's steps
	TrainCE   float64 `json:"train_ce"`
	EReal     float64 `json:"e_real"`   // mean E(x) of training batches
	ESample   float64 `json:"e_sample"` // mean E(x) of Langevin samples
	ValLoss   float64 `json:"val_loss"` // cross-entropy on the test set
	ValAcc    float64 `json:"val_acc"`
	// The same for the weights' moving average (--ema), which evaluation
	// and sampling use; absent without one.
	ValLossEMA float64 `json:"val_loss_ema,omitempty"`
	ValAccEMA  float64 `json:"val_acc_ema,omitempty"`
	// Median Langevin steps the replay buffer's chains have run since they
	// last started from noise; absent without a buffer.
	BufferSteps *int    `json:"buffer_steps_median,omitempty"`
	Seconds     float64 `json:"seconds"`
}

// Progress is where a run stands; it is saved in checkpoints so that a
// resumed run continues exactly.
type Progress struct {
	Epoch   int     `json:"epoch"`    // current epoch, 1-based
	Batch   int     `json:"batch"`    // batches of the current epoch already done
	Step    uint64  `json:"step"`     // optimiser steps so far
	SumLoss float64 `json:"sum_loss"` // running sums over the current epoch
	SumCE   float64 `json:"sum_ce"`
	SumER   float64 `json:"sum_e_real"`
	SumES   float64 `json:"sum_e_sample"`
	Seconds float64 `json:"seconds"` // time spent in the current epoch before a resume

	BestAcc   float64 `json:"best_acc"`  // best validation accuracy so far
	Rollbacks int     `json:"rollbacks"` // divergences recovered from
	LRScale   float64 `json:"lr_scale"`  // learning-rate factor, halved at each rollback

	History []EpochMetrics `json:"history"`
}

// StepStats are one step's loss parts.
type StepStats struct{ Loss, CE, EReal, ESample float64 }

// Trainer holds a model and everything one training step needs,
// allocated once.
type Trainer struct {
	Cfg         Config
	Model       *nn.MLP
	Opt         *nn.Adam
	Buffer      *langevin.Buffer
	EMA         *nn.EMA // moving average of the weights; nil when Cfg.EMA is 0
	Train, Test *mnist.Dataset
	P           Progress
	Log         *slog.Logger
	// OnStep, if set, runs after every step (tests use it to interrupt).
	OnStep func(*Trainer)

	sampler *langevin.Sampler
	snap    *snapshot
	grads   *nn.Grads
	ws      *nn.Workspace
	evalWS  *nn.Workspace
	emaWS   *nn.Workspace
	x       []float32 // 2B x dim: the real batch, then the samples
	y       []int
	ys      []int // labels of the drawn buffer slots, for class-conditional chains
	dl      []float32
	src     *rand.PCG
	rng     *rand.Rand
}

// NewTrainer builds a fresh model for cfg on the given data.
func NewTrainer(cfg Config, trainSet, testSet *mnist.Dataset, log *slog.Logger) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	dim := trainSet.Dim()
	model, err := nn.New(cfg.Sizes(dim), rand.New(rand.NewPCG(cfg.Seed, 0x6d6f64656c)))
	if err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Model: model, Opt: nn.NewAdam(model, cfg.LR), Train: trainSet, Test: testSet, Log: log, P: Progress{Epoch: 1, LRScale: 1}}
	t.Opt.ClipNorm = cfg.ClipNorm
	if cfg.EMA > 0 {
		if t.EMA, err = nn.NewEMA(model, cfg.EMA); err != nil {
			return nil, err
		}
	}
	if cfg.BufferSize > 0 {
		t.Buffer, err = langevin.NewBuffer(cfg.BufferSize, dim, 10, cfg.BufferReinit, rand.New(rand.NewPCG(cfg.Seed, 0x627566)))
		if err != nil {
			return nil, err
		}
	}
	return t, t.alloc()
}

func (t *Trainer) alloc() error {
	cfg, dim := t.Cfg, t.Model.In()
	s, err := langevin.New(Energy{t.Model}, langevin.Config{
		Steps: cfg.LangevinSteps, StepSize: float32(cfg.LangevinAlpha), Noise: float32(cfg.LangevinSigma),
		Clamp: cfg.Clamp, Seed: cfg.Seed, Workers: cfg.Workers,
	})
	if err != nil {
		return err
	}
	t.sampler = s
	b := cfg.BatchSize
	t.grads = t.Model.NewGrads()
	t.ws = t.Model.NewWorkspace(2 * b)
	t.evalWS = t.Model.NewWorkspace(256)
	if t.EMA != nil {
		t.emaWS = t.EMA.Model().NewWorkspace(256)
	}
	t.x = make([]float32, 2*b*dim)
	t.y = make([]int, b)
	if cfg.ClassCond && cfg.BufferSize > 0 {
		t.ys = make([]int, b)
	}
	t.dl = make([]float32, 2*b*t.Model.Out())
	t.src = rand.NewPCG(0, 0)
	t.rng = rand.New(t.src)
	return nil
}

// Close stops the sampler's workers.
func (t *Trainer) Close() { t.sampler.Close() }

// Sampler is the trainer's Langevin sampler (its workers belong to the run).
func (t *Trainer) Sampler() *langevin.Sampler { return t.sampler }

// epochOrder is the shuffled order of one epoch, a function of (seed, epoch)
// only, so a resumed run sees the same batches.
func (t *Trainer) epochOrder(epoch int) [][]int {
	rng := rand.New(rand.NewPCG(t.Cfg.Seed, uint64(epoch)<<8|0x5e))
	return mnist.Batches(t.Train.N, t.Cfg.BatchSize, rng, true)
}

// Step runs one training step on the examples idx: SGLD samples, the
// hybrid loss on real and sampled images in one batch, and an Adam update.
func (t *Trainer) Step(idx []int) (StepStats, error) {
	b, dim, out := len(idx), t.Model.In(), t.Model.Out()
	if b != t.Cfg.BatchSize {
		return StepStats{}, fmt.Errorf("train: batch of %d, configured %d", b, t.Cfg.BatchSize)
	}
	for i, k := range idx {
		copy(t.x[i*dim:(i+1)*dim], t.Train.Image(k))
		t.y[i] = int(t.Train.Labels[k])
	}
	xs := t.x[b*dim : 2*b*dim]
	t.src.Seed(t.Cfg.Seed^0xb0ff, t.P.Step)
	if sd := float32(t.Cfg.DataNoise); sd > 0 {
		// JEM's data noise: real images seen with a little Gaussian pixel
		// noise smooth the energy around the data.
		for i := range t.x[:b*dim] {
			t.x[i] += sd * float32(t.rng.NormFloat64())
		}
	}
	labels := t.ys // nil: unconditional chains
	if t.Cfg.ClassCond && t.Buffer == nil {
		labels = t.y // chains from noise take the batch's labels
	}
	if t.Buffer != nil {
		t.Buffer.Draw(xs, labels, t.rng)
	}
	if err := t.sampler.Run(xs, labels, nil, t.Buffer == nil, t.P.Step); err != nil {
		var nf *NonFinite
		if errors.As(err, &nf) {
			return StepStats{}, &Diverged{Step: t.P.Step, Reason: err.Error()}
		}
		return StepStats{}, err
	}
	if t.Buffer != nil {
		t.Buffer.Store(xs, t.Cfg.LangevinSteps)
	}
	logits, err := t.ws.Forward(t.x, 2*b)
	if err != nil {
		return StepStats{}, err
	}
	st := hybridLoss(logits, t.y, t.dl, out, float32(t.Cfg.EnergyReg), float32(t.Cfg.GenWeight))
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, &Diverged{Step: t.P.Step, Reason: fmt.Sprintf("loss is %v", st.Loss)}
	}
	t.grads.Zero()
	if err := t.ws.Backward(t.dl, t.grads); err != nil {
		return st, err
	}
	t.Opt.LR = t.Cfg.LRAt(int(t.P.Step), t.totalSteps()) * t.P.LRScale
	if _, err := t.Opt.Step(t.Model, t.grads); err != nil {
		return st, &Diverged{Step: t.P.Step, Reason: err.Error()}
	}
	if t.EMA != nil {
		t.EMA.Update(t.Model)
	}
	t.P.Step++
	return st, nil
}

// totalSteps is the number of optimiser steps of the whole run.
func (t *Trainer) totalSteps() int { return t.Cfg.Epochs * (t.Train.N / t.Cfg.BatchSize) }

// hybridLoss computes the loss over logits (2b x out: b real rows with
// labels y, then b sample rows) and its gradient dl with respect to them:
//
//	CE(real) + w*(mean E(real) - mean E(sample)) + lambda*mean(E_real^2 + E_sample^2)
//
// with E = -lse. Per real row: dCE/dz = p - onehot(y), dE/dz = -p; per
// sample row the sign of the w*E term flips.
func hybridLoss(logits []float32, y []int, dl []float32, out int, lambda, w float32) StepStats {
	b := len(y)
	inv := 1 / float32(b)
	var st StepStats
	for r := range 2 * b {
		z := logits[r*out : (r+1)*out]
		d := dl[r*out : (r+1)*out]
		lse := nn.Softmax(d, z) // d = p for now
		e := float32(-lse)
		reg := 2 * lambda * e // d(lambda E^2)/dE
		if r < b {
			st.CE += lse - float64(z[y[r]])
			st.EReal += float64(e)
			// (p - onehot) + (w + reg)*(-p)
			for j := range d {
				d[j] = (1 - w - reg) * d[j] * inv
			}
			d[y[r]] -= inv
		} else {
			st.ESample += float64(e)
			// (-w + reg)*(-p)
			for j := range d {
				d[j] = (w - reg) * d[j] * inv
			}
		}
		st.Loss += float64(lambda) * float64(e) * float64(e)
	}
	st.CE /= float64(b)
	st.EReal /= float64(b)
	st.ESample /= float64(b)
	st.Loss = st.Loss/float64(b) + st.CE + float64(w)*(st.EReal-st.ESample)
	return st
}

// Evaluate returns the mean cross-entropy and the accuracy on d.
func (t *Trainer) Evaluate(d *mnist.Dataset) (loss, acc float64, err error) {
	return Evaluate(t.Model, t.evalWS, d)
}

// Evaluate returns the mean cross-entropy and the accuracy of m on d.
func Evaluate(m *nn.MLP, ws *nn.Workspace, d *mnist.Dataset) (loss, acc float64, err error) {
	out, dim := m.Out(), m.In()
	correct := 0
	for lo := 0; lo < d.N; lo += ws.MaxBatch() {
		n := min(ws.MaxBatch(), d.N-lo)
		logits, err := ws.Forward(d.Images[lo*dim:(lo+n)*dim], n)
		if err != nil {
			return 0, 0, err
		}
		for i := range n {
			z := logits[i*out : (i+1)*out]
			y := int(d.Labels[lo+i])
			loss += nn.CrossEntropy(z, y)
			if nn.Argmax(z) == y {
				correct++
			}
		}
	}
	return loss / float64(d.N), float64(correct) / float64(d.N), nil
}

// ErrInterrupted is returned by Run when its context was cancelled; the
// checkpoint then holds the state after the last finished step.
var ErrInterrupted = errors.New("train: interrupted")

// Hooks let the caller write artifacts at epoch boundaries.
type Hooks struct {
	// Checkpoint saves the trainer (mid-epoch too, on interrupt).
	Checkpoint func(*Trainer) error
	// EpochEnd runs after each epoch's metrics are in P.History.
	EpochEnd func(*Trainer, EpochMetrics) error
	// Progress reports within an epoch: batches done, batches total,
	// steps per second, running loss.
	Progress func(epoch, done, total int, itPerSec, loss float64)
}

// Run trains until Cfg.Epochs are done or ctx is cancelled. On cancel it
// finishes the current step, checkpoints and returns ErrInterrupted. A
// divergence (see Diverged) rolls back to the last good epoch with half the
// learning rate and a fresh replay buffer, at most Cfg.MaxRollbacks times.
func (t *Trainer) Run(ctx context.Context, h Hooks) error {
	if t.snap == nil {
		t.takeSnapshot()
	}
	for t.P.Epoch <= t.Cfg.Epochs {
		m, err := t.runEpoch(ctx, h)
		var div *Diverged
		if errors.As(err, &div) {
			if err := t.rollback(div); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		t.P.History = append(t.P.History, m)
		t.P.BestAcc = max(t.P.BestAcc, m.ValAcc)
		t.P.Batch, t.P.SumLoss, t.P.SumCE, t.P.SumER, t.P.SumES, t.P.Seconds = 0, 0, 0, 0, 0, 0
		if t.Log != nil {
			attrs := []any{"epoch", m.Epoch, "train_loss", round4(m.TrainLoss), "train_ce", round4(m.TrainCE),
				"e_real", round4(m.EReal), "e_sample", round4(m.ESample), "val_loss", round4(m.ValLoss), "val_acc", round4(m.ValAcc)}
			if t.EMA != nil {
				attrs = append(attrs, "val_acc_ema", round4(m.ValAccEMA))
			}
			if m.BufferSteps != nil {
				attrs = append(attrs, "buffer_steps_median", *m.BufferSteps)
			}
			t.Log.Info("epoch", append(attrs, "seconds", round4(m.Seconds))...)
		}
		// The checkpoint records the start of the next epoch.
		t.P.Epoch++
		t.takeSnapshot()
		if h.Checkpoint != nil {
			if err := h.Checkpoint(t); err != nil {
				return err
			}
		}
		if h.EpochEnd != nil {
			if err := h.EpochEnd(t, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// runEpoch trains the rest of the current epoch and validates it.
func (t *Trainer) runEpoch(ctx context.Context, h Hooks) (EpochMetrics, error) {
	batches := t.epochOrder(t.P.Epoch)
	start := time.Now()
	lastReport := start
	stepsSinceReport := 0
	for ; t.P.Batch < len(batches); t.P.Batch++ {
		if ctx.Err() != nil {
			t.P.Seconds += time.Since(start).Seconds()
			if h.Checkpoint != nil {
				if err := h.Checkpoint(t); err != nil {
					return EpochMetrics{}, errors.Join(ErrInterrupted, err)
				}
			}
			return EpochMetrics{}, ErrInterrupted
		}
		st, err := t.Step(batches[t.P.Batch])
		if err != nil {
			return EpochMetrics{}, err
		}
		if g := t.Cfg.GuardEnergy; g > 0 && (math.Abs(st.EReal) > g || math.Abs(st.ESample) > g) {
			return EpochMetrics{}, &Diverged{Step: t.P.Step, Reason: fmt.Sprintf("mean energies %.4g (data) and %.4g (samples) beyond --guard_energy %g", st.EReal, st.ESample, g)}
		}
		t.P.SumLoss += st.Loss
		t.P.SumCE += st.CE
		t.P.SumER += st.EReal
		t.P.SumES += st.ESample
		stepsSinceReport++
		if t.OnStep != nil {
			t.OnStep(t)
		}
		if h.Progress != nil {
			if now := time.Now(); now.Sub(lastReport) > 500*time.Millisecond || t.P.Batch+1 == len(batches) {
				h.Progress(t.P.Epoch, t.P.Batch+1, len(batches), float64(stepsSinceReport)/now.Sub(lastReport).Seconds(), t.P.SumLoss/float64(t.P.Batch+1))
				lastReport, stepsSinceReport = now, 0
			}
		}
	}
	n := float64(max(1, len(batches)))
	valLoss, valAcc, err := t.Evaluate(t.Test)
	if err != nil {
		return EpochMetrics{}, err
	}
	if d := t.Cfg.GuardAccDrop; d > 0 && valAcc < t.P.BestAcc-d {
		return EpochMetrics{}, &Diverged{Step: t.P.Step, Reason: fmt.Sprintf("validation accuracy fell to %.4f from a best of %.4f (--guard_acc_drop %g)", valAcc, t.P.BestAcc, d)}
	}
	m := EpochMetrics{Epoch: t.P.Epoch, TrainLoss: t.P.SumLoss / n, TrainCE: t.P.SumCE / n, EReal: t.P.SumER / n,
		ESample: t.P.SumES / n, ValLoss: valLoss, ValAcc: valAcc}
	if t.EMA != nil {
		if m.ValLossEMA, m.ValAccEMA, err = Evaluate(t.EMA.Model(), t.emaWS, t.Test); err != nil {
			return EpochMetrics{}, err
		}
	}
	if t.Buffer != nil {
		age := t.Buffer.MedianAge()
		m.BufferSteps = &age
	}
	m.Seconds = t.P.Seconds + time.Since(start).Seconds()
	return m, nil
}

// Diverged reports a training step or epoch that left the stable regime:
// a non-finite loss or gradient, exploding energies or collapsing accuracy.
type Diverged struct {
	Step   uint64
	Reason string
}

func (d *Diverged) Error() string {
	return fmt.Sprintf("train: diverged at step %d: %s", d.Step, d.Reason)
}

// snapshot is the state at the start of the current epoch.
type snapshot struct {
	params, m, v [][]float32
	adamT        int
	ema          [][]float32
	emaN         int
	p            Progress // the buffer is not kept: a rollback restarts it from noise
}

func (t *Trainer) takeSnapshot() {
	clone := func(src [][]float32) [][]float32 {
		out := make([][]float32, len(src))
		for i, s := range src {
			out[i] = append([]float32(nil), s...)
		}
		return out
	}
	s := &snapshot{params: clone(t.Model.Params()), m: clone(t.Opt.M), v: clone(t.Opt.V), adamT: t.Opt.T, p: t.P}
	if t.EMA != nil {
		s.ema, s.emaN = clone(t.EMA.Params()), t.EMA.N
	}
	s.p.History = append([]EpochMetrics(nil), t.P.History...)
	t.snap = s
}

// rollback restores the last snapshot, halves the learning rate and restarts
// the replay buffer from noise; it fails once Cfg.MaxRollbacks are used up.
func (t *Trainer) rollback(div *Diverged) error {
	if t.P.Rollbacks >= t.Cfg.MaxRollbacks {
		return fmt.Errorf("%w; giving up after %d rollbacks (--max_rollbacks %d)", div, t.P.Rollbacks, t.Cfg.MaxRollbacks)
	}
	rollbacks, scale := t.P.Rollbacks+1, t.P.LRScale/2
	s := t.snap
	for i, p := range t.Model.Params() {
		copy(p, s.params[i])
		copy(t.Opt.M[i], s.m[i])
		copy(t.Opt.V[i], s.v[i])
	}
	t.Model.Sync()
	if t.EMA != nil {
		t.EMA.Set(s.ema, s.emaN)
	}
	t.Opt.T = s.adamT
	t.P = s.p
	t.P.History = append([]EpochMetrics(nil), s.p.History...)
	t.P.Rollbacks, t.P.LRScale = rollbacks, scale
	if t.Buffer != nil {
		rng := rand.New(rand.NewPCG(t.Cfg.Seed, 0xbad0+uint64(rollbacks)))
		for i := range t.Buffer.Data {
			t.Buffer.Data[i] = float32(2*rng.Float64() - 1)
		}
		clear(t.Buffer.Age)
	}
	if t.Log != nil {
		t.Log.Warn("divergence: rolled back", "reason", div.Reason, "at_step", div.Step, "back_to_epoch", t.P.Epoch,
			"back_to_step", t.P.Step, "lr_scale", scale, "rollback", rollbacks, "max_rollbacks", t.Cfg.MaxRollbacks)
	}
	t.takeSnapshot()
	return nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
