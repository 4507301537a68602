package eval

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// The fixed classifier judges generated images (FID features, conditional
// accuracy, class coverage, inpainting). It is a plain MLP trained with
// cross-entropy only by `ebm classifier` (ClassifierRecipe), and its weights
// are committed and embedded, so every evaluation uses the same judge.
var (
	//go:embed fixed_classifier.bin
	fixedClassifier []byte
)

// FixedClassifierSHA256 is the SHA-256 of fixed_classifier.bin.
const FixedClassifierSHA256 = "f94462f84440980aef02d4b6773ea4db3f3b1ec575cd2cb626fc1f03bc4440e1"

// ClassifierRecipe fixes how the judge is trained. Random shifts of up to
// Shift pixels make it tolerant of where a generated digit sits, and the
// cosine decay of the learning rate settles it; both buy the accuracy a
// judge needs (a judge that misreads real test digits caps every
// conditional-accuracy figure below its own accuracy).
var ClassifierRecipe = struct {
	Arch      nn.Arch
	Epochs    int
	BatchSize int
	LR        float64 // Adam, cosine decay to 0 over the epochs
	Shift     int     // training images move by up to this many pixels each way
	Seed      uint64
}{Arch: judgeArch, Epochs: 20, BatchSize: 128, LR: 1e-3, Shift: 2, Seed: 20261129}

// judgeArch is a small CNN: the conv preset's three stride-2 convolutions
// (28x28 -> 14x14 -> 7x7 -> 4x4), then 256 features, then the classes.
var judgeArch = nn.Arch{
	Shape: []int{mnist.Side, mnist.Side, 1},
	Convs: []nn.ConvSpec{{Channels: 32, K: 4, Stride: 2, Pad: 1}, {Channels: 64, K: 4, Stride: 2, Pad: 1}, {Channels: 128, K: 3, Stride: 2, Pad: 1}},
	Sizes: []int{4 * 4 * 128, 256, mnist.Classes},
}

// featureLayer is the layer whose output is the FID feature: the last
// hidden layer.
func featureLayer(m *nn.Net) int { return len(m.Layers) - 2 }

const clfMagic = "EBMCLF1\n"

// ClassifierInfo is the header of a classifier file.
type ClassifierInfo struct {
	nn.Arch
	Epochs  int     `json:"epochs"`
	Seed    uint64  `json:"seed"`
	TestAcc float64 `json:"test_acc"`
	Kernels string  `json:"kernels"`
}

// TrainClassifier trains the judge per ClassifierRecipe and returns it with
// its test accuracy.
func TrainClassifier(train, test *mnist.Dataset, log func(epoch int, acc float64)) (*nn.Net, float64, error) {
	r := ClassifierRecipe
	m, err := nn.New(r.Arch, rand.New(rand.NewPCG(r.Seed, streams.JudgeInit)))
	if err != nil {
		return nil, 0, err
	}
	// The products and the update run on every core; the result is the same
	// for any number (nn's parallel passes give the serial bits).
	p := pool.New(0)
	defer p.Close()
	opt := nn.NewAdam(m, r.LR)
	g := m.NewGrads()
	ws := m.NewParallelWorkspace(r.BatchSize, p.Run, p.Size())
	x := make([]float32, r.BatchSize*train.Dim())
	img := make([]float32, train.Dim()) // one training image as floats, before its shift
	const classes = mnist.Classes
	dl := make([]float32, r.BatchSize*classes)
	evalWS := m.NewParallelWorkspace(judgeBatch, p.Run, p.Size())
	var acc float64
	steps, step := r.Epochs*(train.N/r.BatchSize), 0
	for epoch := 1; epoch <= r.Epochs; epoch++ {
		rng := rand.New(rand.NewPCG(r.Seed, streams.JudgeEpoch(epoch)))
		for _, idx := range mnist.Batches(train.N, r.BatchSize, rng, true) {
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

// EncodeClassifier serialises a classifier with its header.
func EncodeClassifier(m *nn.Net, info ClassifierInfo) ([]byte, error) {
	var b bytes.Buffer
	js, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	b.WriteString(clfMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(js)))
	b.Write(js)
	for _, p := range m.Params() {
		binary.Write(&b, binary.LittleEndian, p)
	}
	return b.Bytes(), nil
}

// DecodeClassifier reads what EncodeClassifier wrote.
func DecodeClassifier(data []byte) (*nn.Net, ClassifierInfo, error) {
	var info ClassifierInfo
	r := bytes.NewReader(data)
	magic := make([]byte, len(clfMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != clfMagic {
		return nil, info, fmt.Errorf("eval: not a classifier file (bad magic)")
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<20 {
		return nil, info, fmt.Errorf("eval: classifier: bad header length")
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return nil, info, fmt.Errorf("eval: classifier: truncated header")
	}
	if err := json.Unmarshal(js, &info); err != nil {
		return nil, info, fmt.Errorf("eval: classifier header: %w", err)
	}
	m, err := nn.New(info.Arch, nil)
	if err != nil {
		return nil, info, err
	}
	for _, p := range m.Params() {
		if err := binary.Read(r, binary.LittleEndian, p); err != nil {
			return nil, info, fmt.Errorf("eval: classifier: truncated weights")
		}
	}
	if r.Len() != 0 {
		return nil, info, fmt.Errorf("eval: classifier: %d trailing bytes", r.Len())
	}
	m.Sync()
	return m, info, nil
}

// FixedClassifier returns the embedded judge after checking its SHA-256.
func FixedClassifier() (*nn.Net, ClassifierInfo, error) {
	sum := sha256.Sum256(fixedClassifier)
	if got := hex.EncodeToString(sum[:]); got != FixedClassifierSHA256 {
		return nil, ClassifierInfo{}, fmt.Errorf("eval: embedded fixed classifier has SHA-256 %s, want %s (rebuild it with `ebm classifier`)", got, FixedClassifierSHA256)
	}
	return DecodeClassifier(fixedClassifier)
}
