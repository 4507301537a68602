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

// takeSnapshot copies the state into the snapshot, reusing its arrays: a
// snapshot an epoch would otherwise leave 15 MB of garbage each time.
func (t *Trainer) takeSnapshot() {
	copyInto := func(dst *[][]float32, src [][]float32) {
		if len(*dst) != len(src) {
			*dst = make([][]float32, len(src))
		}
		for i, s := range src {
			(*dst)[i] = append((*dst)[i][:0], s...)
		}
	}
	if t.snap == nil {
		t.snap = &snapshot{}
	}
	s := t.snap
	copyInto(&s.params, t.Model.Params())
	copyInto(&s.m, t.Opt.M)
	copyInto(&s.v, t.Opt.V)
	s.adamT, s.p = t.Opt.T, t.Progress
	if t.EMA != nil {
		copyInto(&s.ema, t.EMA.Params())
		s.emaN = t.EMA.N
	}
	s.p.History = append(s.p.History[:0:0], t.Progress.History...)
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
		t.Buffer.Restart(rand.New(rand.NewPCG(t.Recipe.Seed, streams.Rollback(rollbacks))))
	}
	if t.Log != nil {
		t.Log.Warn("divergence: rolled back", "reason", div.Reason, "at_step", div.Step, "back_to_epoch", t.Progress.Epoch,
			"back_to_step", t.Progress.Step, "lr_scale", scale, "rollback", rollbacks, "max_rollbacks", t.Recipe.MaxRollbacks)
	}
	t.takeSnapshot()
	return nil
}
