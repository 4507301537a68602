package train

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/run"
)

// A checkpoint (run.WriteCheckpoint's container) holds a JSON header
// (recipe, network, progress, optimiser step count), then the arrays:
// parameters, Adam's first and second moments, the parameters' moving
// average (when the header says averaged), and the replay buffer (samples,
// then labels and chain steps as float32).
//
// Older files still load: version 3 keeps the whole configuration under
// "config" (with the decay as "ema"), version 2 also has no average, and
// version 1 no chain steps either (they load as 0).

type ckptHeader struct {
	Recipe Recipe `json:"recipe"`
	// The network: its sizes, and for a convolutional net its input shape
	// and convolutions (a file without them holds an MLP).
	nn.Arch
	Progress Progress `json:"progress"`
	AdamT    int      `json:"adam_t"`
	Buffer   int      `json:"buffer_slots"`
	Averaged bool     `json:"averaged,omitempty"`    // the EMA's parameters follow Adam's moments
	EMAN     int      `json:"ema_updates,omitempty"` // updates folded into the average
	// Classes names the outputs; absent: MNIST's digits, as every file
	// before other data sets.
	Classes []string `json:"classes,omitempty"`
}

// legacyConfig is the part of a version 1-3 header's "config" that differs
// from Recipe: the decay's key. The other recipe keys are the same.
type legacyConfig struct {
	EMA float64 `json:"ema"`
}

// SaveCheckpoint writes t to path atomically (internal/atomicfile): a
// crash or an error leaves the previous checkpoint intact.
func SaveCheckpoint(path string, t *Trainer) error {
	h := ckptHeader{Recipe: t.Recipe, Arch: t.Model.Arch, Progress: t.Progress, AdamT: t.Opt.T, Classes: classNames(t.Train.ClassNames())}
	if t.Buffer != nil {
		h.Buffer = t.Buffer.Size()
	}
	if t.EMA != nil {
		h.Averaged, h.EMAN = true, t.EMA.N
	}
	arrays := slices.Concat(t.Model.Params(), t.Opt.M, t.Opt.V)
	if t.EMA != nil {
		arrays = append(arrays, t.EMA.Params()...)
	}
	if t.Buffer != nil {
		labels := make([]float32, len(t.Buffer.Labels))
		steps := make([]float32, len(t.Buffer.ChainSteps))
		for i, l := range t.Buffer.Labels {
			labels[i] = float32(l)
			steps[i] = float32(t.Buffer.ChainSteps[i])
		}
		arrays = append(arrays, t.Buffer.Data, labels, steps)
	}
	return writeCheckpoint(path, h, arrays)
}

// SaveModel writes a checkpoint of a model trained elsewhere (ebm import):
// recipe r describes it, and the run counts as finished, with no history,
// a fresh optimiser, no replay buffer and no moving average.
func SaveModel(path string, r Recipe, m *nn.Net) error {
	if err := r.Validate(); err != nil {
		return err
	}
	h := ckptHeader{Recipe: r, Arch: m.Arch, Progress: Progress{Epoch: r.Epochs + 1, LRScale: 1, History: []EpochMetrics{}}}
	params := m.Params()
	arrays := slices.Clone(params)
	for range 2 { // Adam's moments, zero
		for _, p := range params {
			arrays = append(arrays, make([]float32, len(p)))
		}
	}
	return writeCheckpoint(path, h, arrays)
}

// writeCheckpoint writes the header and the arrays atomically.
func writeCheckpoint(path string, h ckptHeader, arrays [][]float32) error {
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return run.WriteCheckpoint(path, js, arrays)
}

// classNames is what a header records of a set's class names: nothing
// for MNIST's digits.
func classNames(c []string) []string {
	if slices.Equal(c, mnist.Digits) {
		return nil
	}
	return c
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Recipe   Recipe
	Progress Progress
	// Classes names the model's outputs.
	Classes []string
	// Model is the model to use: the weights' moving average when the run
	// kept one (--ema_decay), else the trained weights.
	Model *nn.Net
	// Trained is the optimiser's current weights, from which training
	// resumes; the same as Model when the run kept no average.
	Trained    *nn.Net
	avg        *nn.Net // the stored average, nil without one
	emaN       int
	adamT      int
	moments    [][]float32 // M then V
	buffer     []float32
	labels     []float32
	chainSteps []int
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint, or by an
// earlier version.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	r, h, err := openCheckpoint(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	bad := r.Errorf
	m, err := nn.New(h.Arch, nil)
	if err != nil {
		return nil, bad("%v", err)
	}
	c := &Checkpoint{Recipe: h.Recipe, Progress: h.Progress, Model: m, Trained: m, emaN: h.EMAN, adamT: h.AdamT, Classes: h.Classes}
	if c.Classes == nil {
		c.Classes = mnist.Digits
	}
	if len(c.Classes) != m.Out() {
		return nil, bad("%d class names for a model of %d outputs", len(c.Classes), m.Out())
	}
	read := r.Read
	for _, p := range m.Params() {
		if err := read(p); err != nil {
			return nil, err
		}
	}
	m.Sync()
	for range 2 {
		for _, p := range m.Params() {
			mom := make([]float32, len(p))
			if err := read(mom); err != nil {
				return nil, err
			}
			c.moments = append(c.moments, mom)
		}
	}
	if h.Averaged {
		if c.avg, err = nn.New(h.Arch, nil); err != nil {
			return nil, bad("%v", err)
		}
		for _, p := range c.avg.Params() {
			if err := read(p); err != nil {
				return nil, err
			}
		}
		c.avg.Sync()
		c.Model = c.avg
	}
	if h.Buffer > 0 {
		c.buffer = make([]float32, h.Buffer*m.In())
		c.labels = make([]float32, h.Buffer)
		steps := make([]float32, h.Buffer)
		arrays := [][]float32{c.buffer, c.labels, steps}
		if r.Version == 1 {
			arrays = arrays[:2]
		}
		for _, a := range arrays {
			if err := read(a); err != nil {
				return nil, err
			}
		}
		c.chainSteps = make([]int, h.Buffer)
		for i, s := range steps {
			c.chainSteps[i] = int(s)
		}
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return c, nil
}

// openCheckpoint opens a checkpoint and decodes its header; the reader
// is at its arrays.
func openCheckpoint(path string) (*run.CheckpointReader, ckptHeader, error) {
	r, err := run.OpenCheckpoint(path)
	if err != nil {
		return nil, ckptHeader{}, err
	}
	h, err := decodeHeader(r.Version, r.Header)
	if err != nil {
		r.Close()
		return nil, h, r.Errorf("header: %v", err)
	}
	return r, h, nil
}

// decodeHeader reads the JSON header of a file of the given version.
// Headers written before --gen_weight existed trained with weight 1, those
// before --ood_score declared log p(x), the score the results of those
// runs report, and those before --chain_start started chains from noise.
func decodeHeader(version int, js []byte) (ckptHeader, error) {
	var h ckptHeader
	h.Recipe.GenWeight = 1
	h.Recipe.OODScore = "logpx"
	h.Recipe.ChainStart = "uniform"
	if version == run.CheckpointVersion {
		return h, json.Unmarshal(js, &h)
	}
	var old struct {
		ckptHeader
		Config json.RawMessage `json:"config"`
	}
	old.ckptHeader = h
	if err := json.Unmarshal(js, &old); err != nil {
		return h, err
	}
	h = old.ckptHeader
	var legacy legacyConfig
	if err := json.Unmarshal(old.Config, &h.Recipe); err != nil {
		return h, err
	}
	if err := json.Unmarshal(old.Config, &legacy); err != nil {
		return h, err
	}
	h.Recipe.EMADecay = legacy.EMA
	return h, nil
}

// Restore puts the checkpoint's model, optimiser, buffer and progress into
// t, which must have been built with the same network.
func (c *Checkpoint) Restore(t *Trainer) error {
	if !c.Model.Arch.Equal(t.Model.Arch) {
		return fmt.Errorf("checkpoint holds the network %v, this run %v", c.Model.Arch, t.Model.Arch)
	}
	for i, p := range t.Model.Params() {
		copy(p, c.Trained.Params()[i])
	}
	t.Model.Sync()
	if t.EMA != nil {
		// A checkpoint without an average (only one written by an older
		// version) starts it at the trained weights.
		src := c.Trained
		if c.avg != nil {
			src = c.avg
		}
		t.EMA.Set(src.Params(), c.emaN)
	}
	np := len(t.Model.Params())
	for i := range np {
		copy(t.Opt.M[i], c.moments[i])
		copy(t.Opt.V[i], c.moments[np+i])
	}
	t.Opt.T = c.adamT
	if (t.Buffer == nil) != (c.buffer == nil) || (t.Buffer != nil && len(t.Buffer.Data) != len(c.buffer)) {
		return fmt.Errorf("checkpoint buffer (%d values) does not match this run's buffer size", len(c.buffer))
	}
	if t.Buffer != nil {
		copy(t.Buffer.Data, c.buffer)
		for i, l := range c.labels {
			t.Buffer.Labels[i] = int(l)
		}
		copy(t.Buffer.ChainSteps, c.chainSteps)
	}
	t.Progress = c.Progress
	if t.Progress.LRScale == 0 { // written before rollbacks existed
		t.Progress.LRScale = 1
	}
	t.snap = nil
	return nil
}

// Shape is the shape of the images the model takes: its recorded input
// shape, else MNIST's (a file with none holds an MNIST MLP).
func (c *Checkpoint) Shape() mnist.Shape {
	if a := c.Model.Arch.Shape; len(a) == 3 {
		return mnist.Shape{Rows: a[0], Cols: a[1], Channels: a[2]}
	}
	return mnist.MNISTShape
}

// Averaged reports whether Model is the run's moving average of the weights.
func (c *Checkpoint) Averaged() bool { return c.avg != nil && c.Model == c.avg }

// UseWeights selects the model to use: "ema", the moving average (an error
// when the run kept none), "trained", the optimiser's weights, or "" for the
// average when there is one.
func (c *Checkpoint) UseWeights(w string) error {
	switch w {
	case "":
	case "ema":
		if c.avg == nil {
			return fmt.Errorf("--weights ema: the checkpoint has no moving average (its run had --ema_decay 0 or predates it)")
		}
	case "trained":
		c.Model = c.Trained
	default:
		return fmt.Errorf("--weights %q: want ema or trained", w)
	}
	return nil
}

// ChainSteps is the run's chain length: how many Langevin steps chains from
// noise run when this run's model is sampled by default. It is as many as
// the median chain of its replay buffer had run when the checkpoint was
// written, the length of chain the energy was trained against (shorter
// chains stop at blobs, much longer ones drift between modes), and never
// fewer than the run's --langevin_steps, which is the whole chain when the
// run kept no buffer.
func (c *Checkpoint) ChainSteps() int {
	return max(c.Recipe.LangevinSteps, langevin.MedianSteps(c.chainSteps))
}

// BufferSamples returns the replay buffer's samples (slots x pixels) and
// their number; nil, 0 when the run kept no buffer.
func (c *Checkpoint) BufferSamples() ([]float32, int) {
	if c.buffer == nil {
		return nil, 0
	}
	return c.buffer, len(c.labels)
}
