package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
)

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
	s := &snapshot{params: clone(t.Model.Params()), m: clone(t.Opt.M), v: clone(t.Opt.V), adamT: t.Opt.T, p: t.Progress}
	if t.EMA != nil {
		s.ema, s.emaN = clone(t.EMA.Params()), t.EMA.N
	}
	s.p.History = append([]EpochMetrics(nil), t.Progress.History...)
	t.snap = s
}

// rollback restores the last snapshot, halves the learning rate and restarts
// the replay buffer from noise; it fails once Recipe.MaxRollbacks are used up.
func (t *Trainer) rollback(div *Diverged) error {
	if t.Progress.Rollbacks >= t.Recipe.MaxRollbacks {
		return fmt.Errorf("%w; giving up after %d rollbacks (--max_rollbacks %d)", div, t.Progress.Rollbacks, t.Recipe.MaxRollbacks)
	}
	rollbacks, scale := t.Progress.Rollbacks+1, t.Progress.LRScale/2
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
	t.Progress = s.p
	t.Progress.History = append([]EpochMetrics(nil), s.p.History...)
	t.Progress.Rollbacks, t.Progress.LRScale = rollbacks, scale
	if t.Buffer != nil {
		rng := rand.New(rand.NewPCG(t.Recipe.Seed, streams.Rollback(rollbacks)))
		for i := range t.Buffer.Data {
			t.Buffer.Data[i] = float32(2*rng.Float64() - 1)
		}
		clear(t.Buffer.ChainSteps)
	}
	if t.Log != nil {
		t.Log.Warn("divergence: rolled back", "reason", div.Reason, "at_step", div.Step, "back_to_epoch", t.Progress.Epoch,
			"back_to_step", t.Progress.Step, "lr_scale", scale, "rollback", rollbacks, "max_rollbacks", t.Recipe.MaxRollbacks)
	}
	t.takeSnapshot()
	return nil
}
