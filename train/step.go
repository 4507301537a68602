package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// StepStats are one step's loss parts.
type StepStats struct{ Loss, CE, EReal, ESample float64 }

// Step runs one training step on the examples idx: SGLD samples, the
// hybrid loss on real and sampled images in one batch, and an Adam update
// (with --sam_rho, of the gradient taken again at the worst nearby weights).
func (t *Trainer) Step(idx []int) (StepStats, error) {
	r := t.Recipe
	b, dim, out := len(idx), t.Model.In(), t.Model.Out()
	if b != r.BatchSize {
		return StepStats{}, fmt.Errorf("train: batch of %d, the recipe's is %d", b, r.BatchSize)
	}
	for i, k := range idx {
		t.Train.Image(k, t.x[i*dim:(i+1)*dim])
		t.y[i] = int(t.Train.Labels[k])
	}
	unmovedRows := r.ShiftCEOnly && r.generative()
	if unmovedRows {
		// The generative term's real images: the batch before it moves.
		copy(t.x[2*b*dim:3*b*dim], t.x[:b*dim])
	}
	step := t.Progress.Step
	t.src.Seed(streams.Step(r.Seed, step))
	if r.Shift > 0 {
		// Shifted digits, as the judge is trained on: a classifier that
		// does not depend on where a digit sits. The offsets come first on
		// the step's stream, before the buffer's draw.
		for i := range b {
			img := t.x[i*dim : (i+1)*dim]
			copy(t.img, img)
			mnist.Shift(img, t.img, t.Train.Shape(), t.rng.IntN(2*r.Shift+1)-r.Shift, t.rng.IntN(2*r.Shift+1)-r.Shift)
		}
	}
	if sd := float32(r.DataNoise); sd > 0 {
		// JEM's data noise: real images seen with a little Gaussian pixel
		// noise smooth the energy around the data.
		key, stream := streams.DataNoise(r.Seed)
		noise := t.noise[:b*dim]
		kernels.Normal(noise, key, stream, step)
		for i, n := range noise {
			t.x[i] += sd * n
		}
		if unmovedRows {
			unmoved := t.x[2*b*dim : 3*b*dim]
			for i, n := range noise {
				unmoved[i] += sd * n
			}
		}
	}
	labels := t.ys // nil: unconditional chains
	if r.ClassCond && t.Buffer == nil {
		labels = t.y // chains from noise take the batch's labels
	}
	if r.generative() {
		if err := t.sample(t.x[b*dim:2*b*dim], labels, step); err != nil {
			return StepStats{}, err
		}
	}
	st, err := t.lossGrads(out)
	if err != nil {
		return st, err
	}
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, &Diverged{Step: step, Reason: fmt.Sprintf("loss is %v", st.Loss)}
	}
	if t.sam != nil {
		// The same batch and samples at w + rho*g/|g|; that gradient is
		// the one applied at w.
		if _, err := t.sam.Ascend(t.Model, t.grads, t.run); err != nil {
			return st, &Diverged{Step: step, Reason: err.Error()}
		}
		_, err := t.lossGrads(out)
		t.sam.Return(t.Model, t.run)
		if err != nil {
			return st, err
		}
	}
	t.Opt.LR = r.LRAt(int(step), t.totalSteps()) * t.Progress.LRScale
	if _, err := t.Opt.StepParallel(t.Model, t.grads, t.run); err != nil {
		return st, &Diverged{Step: step, Reason: err.Error()}
	}
	if t.EMA != nil {
		t.EMA.UpdateParallel(t.Model, t.run)
	}
	t.Progress.Step++
	return st, nil
}

// sample advances the step's chains in xs, drawn from and stored back to
// the buffer when there is one, started afresh when not.
func (t *Trainer) sample(xs []float32, labels []int, step uint64) error {
	fromNoise := t.Buffer == nil
	switch {
	case t.Buffer != nil:
		t.Buffer.Draw(xs, labels, t.rng)
	case t.start != nil:
		dim, classes := t.Model.In(), t.Model.Out()
		for i := range len(xs) / dim {
			c := t.rng.IntN(classes)
			if labels != nil {
				c = labels[i]
			}
			t.start.Fill(xs[i*dim:(i+1)*dim], c, t.rng)
		}
		fromNoise = false
	}
	if err := t.sampler.Run(xs, labels, nil, fromNoise, streams.TrainRound(step)); err != nil {
		var nf *jem.NonFinite
		if errors.As(err, &nf) {
			return &Diverged{Step: step, Reason: err.Error()}
		}
		return err
	}
	if t.Buffer != nil {
		t.Buffer.Store(xs, t.Recipe.LangevinSteps)
	}
	return nil
}

// lossGrads runs the loss pass over the step's rows at the model's current
// weights: the loss, and its gradient in t.grads.
func (t *Trainer) lossGrads(out int) (StepStats, error) {
	r := t.Recipe
	logits, err := t.ws.Forward(t.x, r.lossRows())
	if err != nil {
		return StepStats{}, err
	}
	st := hybridLoss(logits, t.y, t.dl, out, float32(r.EnergyReg), float32(r.GenWeight))
	t.grads.ZeroParallel(t.run)
	return st, t.ws.Backward(t.dl, t.grads)
}

// hybridLoss computes the loss over logits (b real rows with labels y, then
// b sample rows, and with --shift_ce_only b more real rows; a plain
// classifier's b real rows alone) and its
// gradient dl with respect to them:
//
//	CE(real) + w*(mean E(real) - mean E(sample)) + lambda*mean(E_real^2 + E_sample^2)
//
// with E = -lse. With 3b rows the first real rows carry the cross-entropy
// and the last ones the energy terms of the real data; with 2b the first
// carry both. Per row: dCE/dz = p - onehot(y), dE/dz = -p, and the sample
// rows' w*E term has the opposite sign.
func hybridLoss(logits []float32, y []int, dl []float32, out int, lambda, w float32) StepStats {
	b := len(y)
	inv := 1 / float32(b)
	rows := len(logits) / out
	split := rows == 3*b
	var st StepStats
	for r := range rows {
		z := logits[r*out : (r+1)*out]
		d := dl[r*out : (r+1)*out]
		lse := nn.Softmax(d, z) // d = p for now
		e := float32(-lse)
		reg := 2 * lambda * e // d(lambda E^2)/dE
		var coef float32      // d = coef*p*inv, minus onehot(y)*inv on a labelled row
		hasEnergy := true
		switch {
		case r < b && split:
			st.CE += lse - float64(z[y[r]])
			coef, hasEnergy = 1, false
		case r < b: // p - onehot + (w + reg)*(-p)
			st.CE += lse - float64(z[y[r]])
			st.EReal += float64(e)
			coef = 1 - w - reg
		case r < 2*b: // (-w + reg)*(-p)
			st.ESample += float64(e)
			coef = w - reg
		default: // (w + reg)*(-p)
			st.EReal += float64(e)
			coef = -w - reg
		}
		for j := range d {
			d[j] = coef * d[j] * inv
		}
		if r < b {
			d[y[r]] -= inv
		}
		if hasEnergy {
			st.Loss += float64(lambda) * float64(e) * float64(e)
		}
	}
	st.CE /= float64(b)
	st.EReal /= float64(b)
	st.ESample /= float64(b)
	st.Loss = st.Loss/float64(b) + st.CE + float64(w)*(st.EReal-st.ESample)
	return st
}
