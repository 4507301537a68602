package train

import (
	"github.com/ebm-project/ebm/run"
)

// PointEvery is how many training steps one point of a run's curves
// (curve.jsonl) averages.
const PointEvery = 10

// curveRecorder keeps a run's curves in its folder: a point every
// PointEvery steps, held until the next checkpoint so that the file never
// runs ahead of what a resume restores, and a mark at every rollback and
// resume.
type curveRecorder struct {
	dir     run.Dir
	sum     run.Point // running sums since the last point
	n       int
	pending []run.Point // points not yet in the file
	onPoint func(*Trainer, run.Point)
}

func newCurveRecorder(dir run.Dir, t *Trainer, onPoint func(*Trainer, run.Point)) *curveRecorder {
	perEpoch := t.Train.N / t.Recipe.BatchSize
	return &curveRecorder{dir: dir, pending: make([]run.Point, 0, perEpoch/PointEvery+2), onPoint: onPoint}
}

// step folds one step in; it allocates nothing while the epoch's points fit
// the capacity reserved for them.
func (c *curveRecorder) step(t *Trainer, st StepStats) {
	c.sum.Loss += st.Loss
	c.sum.CE += st.CE
	c.sum.EReal += st.EReal
	c.sum.ESample += st.ESample
	c.sum.LR += t.Opt.LR
	c.n++
	step := t.Progress.Step
	if step%PointEvery != 0 {
		return
	}
	k := float64(c.n)
	p := run.Point{Step: step, Epoch: float64(step) / float64(t.Train.N/t.Recipe.BatchSize),
		Loss: c.sum.Loss / k, CE: c.sum.CE / k, EReal: c.sum.EReal / k, ESample: c.sum.ESample / k, LR: c.sum.LR / k}
	c.pending = append(c.pending, p)
	c.sum, c.n = run.Point{}, 0
	if c.onPoint != nil {
		c.onPoint(t, p)
	}
}

// flush writes the points held; called before each checkpoint.
func (c *curveRecorder) flush() error {
	err := c.dir.AppendPoints(c.pending)
	c.pending = c.pending[:0]
	return err
}

// rollback drops the points of the steps undone and marks the place.
func (c *curveRecorder) rollback(t *Trainer, d *Diverged) error {
	back := t.Progress.Step
	keep := len(c.pending)
	for keep > 0 && c.pending[keep-1].Step > back {
		keep--
	}
	c.pending = c.pending[:keep]
	c.sum, c.n = run.Point{}, 0
	return c.dir.AppendMark(run.Mark{Kind: run.MarkRollback, Step: back, Epoch: t.Progress.Epoch, Reason: d.Reason})
}
