package eval

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// ClassifierRecipe fixes how the judge is trained. Random shifts of up to
// Shift pixels make it tolerant of where a generated digit sits, and the
// cosine decay of the learning rate settles it; both buy the accuracy a
// judge needs (a judge that misreads real test digits caps every
// conditional-accuracy figure below its own accuracy).
var ClassifierRecipe = struct {
	Convs     []nn.ConvSpec
	Hidden    int // features after the convolutions: the FID features
	Epochs    int
	BatchSize int
	LR        float64 // Adam, cosine decay to 0 over the epochs
	Shift     int     // training images move by up to this many pixels each way
	Seed      uint64
}{Convs: []nn.ConvSpec{{Channels: 32, K: 4, Stride: 2, Pad: 1}, {Channels: 64, K: 4, Stride: 2, Pad: 1}, {Channels: 128, K: 3, Stride: 2, Pad: 1}},
	Hidden: 256, Epochs: 20, BatchSize: 128, LR: 1e-3, Shift: 2, Seed: 20261129}

// JudgeArch is the judge's network for images of shape s in the given
// number of classes: a small CNN, the conv preset's three stride-2
// convolutions (28x28 -> 14x14 -> 7x7 -> 4x4 on MNIST), then 256
// features, then the classes.
func JudgeArch(s mnist.Shape, classes int) (nn.Arch, error) {
	r := ClassifierRecipe
	a, err := nn.ConvArch(s.Rows, s.Cols, s.Channels, r.Convs, []int{r.Hidden}, classes)
	if err != nil {
		return nn.Arch{}, fmt.Errorf("eval: the judge's network on %v images: %w", s, err)
	}
	return a, nil
}

// featureLayer is the layer whose output is the FID feature: the last
// hidden layer.
func featureLayer(m *nn.Net) int { return len(m.Layers) - 2 }

// TrainClassifier trains a judge of train's images per ClassifierRecipe and
// returns it with its accuracy on test.
func TrainClassifier(train, test *mnist.Dataset, log func(epoch int, acc float64)) (*nn.Net, float64, error) {
	r := ClassifierRecipe
	if train.Shape() != test.Shape() || len(train.ClassNames()) != len(test.ClassNames()) {
		return nil, 0, fmt.Errorf("eval: judge: training images %v in %d classes, test images %v in %d", train.Shape(), len(train.ClassNames()), test.Shape(), len(test.ClassNames()))
	}
	if train.N == 0 || test.N == 0 {
		return nil, 0, fmt.Errorf("eval: judge: %d training and %d test images", train.N, test.N)
	}
	classes := len(train.ClassNames())
	arch, err := JudgeArch(train.Shape(), classes)
	if err != nil {
		return nil, 0, err
	}
	m, err := nn.New(arch, rand.New(rand.NewPCG(r.Seed, streams.JudgeInit)))
	if err != nil {
		return nil, 0, err
	}
	// The products and the update run on every core; the result is the same
	// for any number (nn's parallel passes give the serial bits).
	p := pool.New(0)
	defer p.Close()
	opt := nn.NewAdam(m, r.LR)
	g := m.NewGrads()
	// A set smaller than a batch trains on all of it at each step (with
	// full batches only it would not train at all).
	batch := min(r.BatchSize, train.N)
	ws := m.NewParallelWorkspace(batch, p.Run, p.Size())
	x := make([]float32, batch*train.Dim())
	img := make([]float32, train.Dim()) // one training image as floats, before its shift
	dl := make([]float32, batch*classes)
	evalWS := m.NewParallelWorkspace(judgeBatch, p.Run, p.Size())
	var acc float64
	steps, step := r.Epochs*(train.N/batch), 0
	for epoch := 1; epoch <= r.Epochs; epoch++ {
		rng := rand.New(rand.NewPCG(r.Seed, streams.JudgeEpoch(epoch)))
		for _, idx := range mnist.Batches(train.N, batch, rng, true) {
			for i, k := range idx {
				mnist.Shift(x[i*train.Dim():(i+1)*train.Dim()], train.Image(k, img), train.Shape(),
					rng.IntN(2*r.Shift+1)-r.Shift, rng.IntN(2*r.Shift+1)-r.Shift)
			}
			opt.LR = r.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(steps)))
			step++
			logits, err := ws.Forward(x, len(idx))
			if err != nil {
				return nil, 0, err
			}
			for i, k := range idx {
				d := dl[i*classes : (i+1)*classes]
				nn.Softmax(d, logits[i*classes:(i+1)*classes])
				d[train.Labels[k]] -= 1
				for j := range d {
					d[j] /= float32(len(idx))
				}
			}
			g.ZeroParallel(p.Run)
			if err := ws.Backward(dl, g); err != nil {
				return nil, 0, err
			}
			if _, err := opt.StepParallel(m, g, p.Run); err != nil {
				return nil, 0, err
			}
		}
		if acc, err = accuracy(m, evalWS, test); err != nil {
			return nil, 0, err
		}
		if log != nil {
			log(epoch, acc)
		}
	}
	return m, acc, nil
}

func accuracy(m *nn.Net, ws *nn.Workspace, d *mnist.Dataset) (float64, error) {
	pred, err := Predict(context.Background(), m, ws, d.Floats(0, d.N), d.N)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, p := range pred {
		if p == int(d.Labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(d.N), nil
}

// Predict returns the argmax class of each of the n images in x; it stops
// with ctx's error once ctx is done.
func Predict(ctx context.Context, m *nn.Net, ws *nn.Workspace, x []float32, n int) ([]int, error) {
	out := make([]int, n)
	dim, classes := m.In(), m.Out()
	for lo := 0; lo < n; lo += ws.MaxBatch() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(ws.MaxBatch(), n-lo)
		z, err := ws.Forward(x[lo*dim:(lo+b)*dim], b)
		if err != nil {
			return nil, err
		}
		for i := range b {
			out[lo+i] = nn.Argmax(z[i*classes : (i+1)*classes])
		}
	}
	return out, nil
}

// Features returns the last hidden layer's activations of the n images in
// x; it stops with ctx's error once ctx is done.
func Features(ctx context.Context, m *nn.Net, ws *nn.Workspace, x []float32, n int) ([]float32, int, error) {
	dim, fd := m.In(), m.Layers[featureLayer(m)].OutSize()
	out := make([]float32, n*fd)
	for lo := 0; lo < n; lo += ws.MaxBatch() {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		b := min(ws.MaxBatch(), n-lo)
		if _, err := ws.Forward(x[lo*dim:(lo+b)*dim], b); err != nil {
			return nil, 0, err
		}
		copy(out[lo*fd:], ws.Activation(featureLayer(m)))
	}
	return out, fd, nil
}
