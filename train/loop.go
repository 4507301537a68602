package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ebm-project/ebm/run"
)

// EpochMetrics is one line of metrics.jsonl and of the log.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"` // the hybrid loss, mean over the epoch's steps
	TrainCE   float64 `json:"train_ce"`
	EReal     float64 `json:"e_real"`   // mean E(x) of training batches
	ESample   float64 `json:"e_sample"` // mean E(x) of Langevin samples
	ValLoss   float64 `json:"val_loss"` // cross-entropy on the test set
	ValAcc    float64 `json:"val_acc"`
	// The same for the weights' moving average (--ema_decay), which
	// evaluation and sampling use; absent without one.
	ValLossEMA float64 `json:"val_loss_ema,omitempty"`
	ValAccEMA  float64 `json:"val_acc_ema,omitempty"`
	// Median Langevin steps the replay buffer's chains have run since they
	// last started from noise; absent without a buffer.
	ChainStepsMedian *int    `json:"chain_steps_median,omitempty"`
	Seconds          float64 `json:"seconds"`
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

// ErrInterrupted is returned by Run when its context was cancelled; the
// checkpoint then holds the state after the last finished step.
var ErrInterrupted = errors.New("train: interrupted")

// Hooks let the caller write artifacts as the run goes.
//
// One type for everything that follows a run: the trainer's loop calls
// them, and a Job passes its own (Job.Hooks) through with the run folder's.
type Hooks struct {
	// Checkpoint saves the trainer (mid-epoch too, on interrupt).
	Checkpoint func(*Trainer) error
	// EpochEnd runs after each epoch's metrics are in Progress.History.
	EpochEnd func(*Trainer, EpochMetrics) error
	// Progress reports within an epoch: batches done, batches total,
	// steps per second, running loss.
	Progress func(epoch, done, total int, itPerSec, loss float64)
	// Step runs after every step, on the training goroutine: it must be
	// quick, and may read the trainer (its model, buffer, optimiser).
	Step func(*Trainer, StepStats)
	// Rollback runs after a divergence was rolled back.
	Rollback func(*Trainer, *Diverged)
	// Point runs when a Job adds a point to the run's curves (every
	// PointEvery steps, on the training goroutine); the loop does not
	// call it.
	Point func(*Trainer, run.Point)
}

// progressEvery is how often Hooks.Progress is called within an epoch.
const progressEvery = 500 * time.Millisecond

// Run trains until Recipe.Epochs are done or ctx is cancelled. On cancel it
// finishes the current step, checkpoints and returns ErrInterrupted. A
// divergence (see Diverged) rolls back to the start of the epoch with half
// the learning rate and a fresh replay buffer, at most Recipe.MaxRollbacks
// times.
func (t *Trainer) Run(ctx context.Context, h Hooks) error {
	if t.snap == nil {
		t.takeSnapshot()
	}
	for t.Progress.Epoch <= t.Recipe.Epochs {
		m, err := t.runEpoch(ctx, h)
		var div *Diverged
		if errors.As(err, &div) {
			if err := t.rollback(div); err != nil {
				return err
			}
			if h.Rollback != nil {
				h.Rollback(t, div)
			}
			continue
		}
		if err != nil {
			return err
		}
		p := &t.Progress
		p.History = append(p.History, m)
		p.BestAcc = max(p.BestAcc, m.ValAcc)
		p.Batch, p.SumLoss, p.SumCE, p.SumER, p.SumES, p.Seconds = 0, 0, 0, 0, 0, 0
		if t.Log != nil {
			t.Log.Info("epoch", epochAttrs(m, t.EMA != nil)...)
		}
		// The checkpoint records the start of the next epoch.
		p.Epoch++
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

// epochAttrs are an epoch's metrics for the log, under their JSON keys.
func epochAttrs(m EpochMetrics, averaged bool) []any {
	attrs := []any{"epoch", m.Epoch, "train_loss", round4(m.TrainLoss), "train_ce", round4(m.TrainCE),
		"e_real", round4(m.EReal), "e_sample", round4(m.ESample), "val_loss", round4(m.ValLoss), "val_acc", round4(m.ValAcc)}
	if averaged {
		attrs = append(attrs, "val_loss_ema", round4(m.ValLossEMA), "val_acc_ema", round4(m.ValAccEMA))
	}
	if m.ChainStepsMedian != nil {
		attrs = append(attrs, "chain_steps_median", *m.ChainStepsMedian)
	}
	return append(attrs, "seconds", round4(m.Seconds))
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// runEpoch trains the rest of the current epoch and validates it.
func (t *Trainer) runEpoch(ctx context.Context, h Hooks) (EpochMetrics, error) {
	p := &t.Progress
	batches := t.epochOrder(p.Epoch)
	start := time.Now()
	lastReport := start
	stepsSinceReport := 0
	for ; p.Batch < len(batches); p.Batch++ {
		if ctx.Err() != nil {
			p.Seconds += time.Since(start).Seconds()
			if h.Checkpoint != nil {
				if err := h.Checkpoint(t); err != nil {
					return EpochMetrics{}, errors.Join(ErrInterrupted, err)
				}
			}
			return EpochMetrics{}, ErrInterrupted
		}
		st, err := t.Step(batches[p.Batch])
		if err != nil {
			return EpochMetrics{}, err
		}
		if g := t.Recipe.GuardEnergy; g > 0 && (math.Abs(st.EReal) > g || math.Abs(st.ESample) > g) {
			return EpochMetrics{}, &Diverged{Step: p.Step, Reason: fmt.Sprintf("mean energies %.4g (data) and %.4g (samples) beyond --guard_energy %g", st.EReal, st.ESample, g)}
		}
		p.SumLoss += st.Loss
		p.SumCE += st.CE
		p.SumER += st.EReal
		p.SumES += st.ESample
		stepsSinceReport++
		if h.Step != nil {
			h.Step(t, st)
		}
		if h.Progress != nil {
			if now := time.Now(); now.Sub(lastReport) > progressEvery || p.Batch+1 == len(batches) {
				h.Progress(p.Epoch, p.Batch+1, len(batches), float64(stepsSinceReport)/now.Sub(lastReport).Seconds(), p.SumLoss/float64(p.Batch+1))
				lastReport, stepsSinceReport = now, 0
			}
		}
	}
	n := float64(max(1, len(batches)))
	valLoss, valAcc, err := t.Validation(t.Test)
	if err != nil {
		return EpochMetrics{}, err
	}
	if d := t.Recipe.GuardAccDrop; d > 0 && valAcc < p.BestAcc-d {
		return EpochMetrics{}, &Diverged{Step: p.Step, Reason: fmt.Sprintf("validation accuracy fell to %.4f from a best of %.4f (--guard_acc_drop %g)", valAcc, p.BestAcc, d)}
	}
	m := EpochMetrics{Epoch: p.Epoch, TrainLoss: p.SumLoss / n, TrainCE: p.SumCE / n, EReal: p.SumER / n,
		ESample: p.SumES / n, ValLoss: valLoss, ValAcc: valAcc}
	if t.EMA != nil {
		if m.ValLossEMA, m.ValAccEMA, err = validation(t.EMA.Model(), t.emaWS, t.Test, t.valX); err != nil {
			return EpochMetrics{}, err
		}
	}
	if t.Buffer != nil {
		median := t.Buffer.MedianChainSteps()
		m.ChainStepsMedian = &median
	}
	m.Seconds = p.Seconds + time.Since(start).Seconds()
	return m, nil
}
