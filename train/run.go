package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// GridSize is the number of images in every grid a run writes.
const GridSize = 64

// LoadData reads the MNIST splits cfg asks for.
func LoadData(cfg Config) (trainSet, testSet *mnist.Dataset, err error) {
	if trainSet, err = mnist.Load(mnist.MNIST, cfg.DataDir, "train", cfg.Download); err != nil {
		return nil, nil, err
	}
	if testSet, err = mnist.Load(mnist.MNIST, cfg.DataDir, "test", cfg.Download); err != nil {
		return nil, nil, err
	}
	if cfg.TrainLimit > 0 {
		trainSet = trainSet.Subset(cfg.TrainLimit)
	}
	if cfg.TestLimit > 0 {
		testSet = testSet.Subset(cfg.TestLimit)
	}
	if trainSet.N < cfg.BatchSize {
		return nil, nil, fmt.Errorf("--batch_size = %d: larger than the %d training images", cfg.BatchSize, trainSet.N)
	}
	return trainSet, testSet, nil
}

// resumable lists the settings a resumed run may change: where things are,
// how long to train, how many workers (results do not depend on them) and
// how often to draw samples. Everything else defines the run.
var resumable = map[string]bool{"epochs": true, "workers": true, "data_dir": true, "out_dir": true,
	"log_file": true, "download": true, "sample_every": true}

// resumeConfig merges the flags set on the command line (explicit, by JSON
// key) into the checkpoint's configuration, refusing changes to the run's
// definition.
func resumeConfig(saved, given Config, explicit map[string]bool) (Config, error) {
	toMap := func(c Config) (map[string]any, error) {
		js, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(js, &m)
	}
	sm, err := toMap(saved)
	if err != nil {
		return saved, err
	}
	gm, err := toMap(given)
	if err != nil {
		return saved, err
	}
	for key := range explicit {
		if _, ok := gm[key]; !ok {
			return saved, fmt.Errorf("--%s cannot be combined with --resume: the run's settings come from its checkpoint", key)
		}
		if resumable[key] {
			sm[key] = gm[key]
		} else if !reflect.DeepEqual(sm[key], gm[key]) {
			return saved, fmt.Errorf("--%s %v differs from the checkpoint's %v: a resumed run keeps its settings (only %s may change)",
				key, gm[key], sm[key], strings.Join(slices.Sorted(maps.Keys(resumable)), ", "))
		}
	}
	js, err := json.Marshal(sm)
	if err != nil {
		return saved, err
	}
	var out Config
	return out, json.Unmarshal(js, &out)
}

// Execute runs `ebm train`: it trains per cfg (or continues the checkpoint in
// cfg.OutDir when resume is set; explicit names the flags given on the
// command line) and writes every artifact of the run directory. progress,
// if not nil, receives the in-epoch progress line.
func Execute(ctx context.Context, cfg Config, resume bool, explicit map[string]bool, log *slog.Logger, progress io.Writer) error {
	paths := Paths{cfg.OutDir}
	var ck *Checkpoint
	if resume {
		var err error
		if ck, err = LoadCheckpoint(paths.Checkpoint()); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if cfg, err = resumeConfig(ck.Config, cfg, explicit); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(paths.Checkpoint()); err == nil && !resume {
		return fmt.Errorf("--out_dir %s already holds a checkpoint: pass --resume to continue that run, or choose another --out_dir", cfg.OutDir)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("--out_dir %s: %w", cfg.OutDir, err)
	}
	trainSet, testSet, err := LoadData(cfg)
	if err != nil {
		return err
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	log.Info("config", "epochs", cfg.Epochs, "batch_size", cfg.BatchSize, "langevin_steps", cfg.LangevinSteps,
		"langevin_alpha", cfg.LangevinAlpha, "langevin_sigma", cfg.LangevinSigma, "lr", cfg.LR, "lr_schedule", cfg.LRSchedule, "warmup_steps", cfg.WarmupSteps, "hidden", cfg.Hidden,
		"buffer_size", cfg.BufferSize, "buffer_reinit", cfg.BufferReinit, "energy_reg", cfg.EnergyReg, "gen_weight", cfg.GenWeight,
		"clip_norm", cfg.ClipNorm, "data_noise", cfg.DataNoise, "clamp", cfg.Clamp, "seed", cfg.Seed, "workers", cfg.Workers,
		"sample_every", cfg.SampleEvery, "out_dir", cfg.OutDir, "resume", resume)
	log.Info("kernels", "active", kernels.Active(), "cpu", kernels.Describe().CPU)
	log.Info("data", "dir", cfg.DataDir, "train", trainSet.N, "test", testSet.N, "pixels", trainSet.Dim())

	t, err := NewTrainer(cfg, trainSet, testSet, log)
	if err != nil {
		return err
	}
	defer t.Close()
	if ck != nil {
		if err := ck.Restore(t); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		log.Info("resumed", "epoch", t.P.Epoch, "batch", t.P.Batch, "step", t.P.Step)
	}
	log.Info("model", "sizes", t.Model.Sizes, "parameters", t.Model.NumParams())
	if err := WriteJSON(paths.Config(), cfg); err != nil {
		return err
	}
	if err := WriteGrid(paths.RealGrid(), trainSet.Images, min(GridSize, trainSet.N), trainSet.Rows, trainSet.Cols, 8); err != nil {
		return err
	}

	hooks := Hooks{
		Checkpoint: func(t *Trainer) error { return SaveCheckpoint(paths.Checkpoint(), t) },
		EpochEnd: func(t *Trainer, m EpochMetrics) error {
			if err := WriteMetrics(paths.Metrics(), t.P.History); err != nil {
				return err
			}
			if err := WriteLossCurve(paths.LossCurve(), t.P.History); err != nil {
				return err
			}
			if m.Epoch%cfg.SampleEvery == 0 {
				return t.writeSamples(paths.SampleGrid(m.Epoch), uint64(m.Epoch))
			}
			return nil
		},
	}
	if progress != nil {
		hooks.Progress = progressPrinter(progress)
	}
	start := time.Now()
	err = t.Run(ctx, hooks)
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if errors.Is(err, ErrInterrupted) {
		log.Warn("interrupted: checkpoint saved; continue with --resume", "epoch", t.P.Epoch, "batch", t.P.Batch, "checkpoint", paths.Checkpoint())
		return err
	}
	if err != nil {
		return err
	}
	if err := t.writeSamples(paths.FinalGrid(), 1<<20); err != nil {
		return err
	}
	last := EpochMetrics{}
	if n := len(t.P.History); n > 0 {
		last = t.P.History[n-1]
	}
	attrs := []any{"val_acc", last.ValAcc, "val_loss", last.ValLoss}
	if t.EMA != nil {
		attrs = append(attrs, "val_acc_ema", last.ValAccEMA, "val_loss_ema", last.ValLossEMA)
	}
	log.Info("done", append(attrs, "minutes", time.Since(start).Minutes(), "out_dir", cfg.OutDir)...)
	return nil
}

// writeSamples writes a grid of generated images: with a replay buffer, 64
// evenly spaced slots (slots are filled in random order, so this is a fair
// sample of what training sees; the longest-running chains alone drift
// towards 1s and misrepresent it); otherwise fresh chains of the training
// length.
func (t *Trainer) writeSamples(path string, round uint64) error {
	d := t.Train
	n := GridSize
	x := make([]float32, n*d.Dim())
	if t.Buffer != nil {
		n = min(n, t.Buffer.Size())
		for i := range n {
			k := i * t.Buffer.Size() / n
			copy(x[i*d.Dim():], t.Buffer.Data[k*d.Dim():(k+1)*d.Dim()])
		}
	} else if err := t.sampler.Run(x, nil, nil, true, 1<<62+round); err != nil {
		return err
	}
	return WriteGrid(path, x, n, d.Rows, d.Cols, 8)
}

// progressPrinter returns a Hooks.Progress that redraws one line on a
// terminal and prints about ten lines an epoch elsewhere.
func progressPrinter(w io.Writer) func(epoch, done, total int, itPerSec, loss float64) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	lastDecile := -1
	return func(epoch, done, total int, itPerSec, loss float64) {
		eta := time.Duration(float64(total-done) / max(itPerSec, 1e-9) * float64(time.Second)).Round(time.Second)
		line := fmt.Sprintf("epoch %d [%d/%d] %.1f it/s loss %.4f ETA %s", epoch, done, total, itPerSec, loss, eta)
		if tty {
			fmt.Fprintf(w, "\r%-70s", line)
			return
		}
		if dec := done * 10 / total; dec != lastDecile {
			lastDecile = dec
			fmt.Fprintln(w, line)
		}
	}
}

// Sample runs n chains of steps SGLD steps from uniform noise on model, with
// the dynamics of cfg; class >= 0 samples E(x, class), otherwise E(x).
func Sample(model *nn.MLP, cfg Config, n, steps, class, workers int, seed uint64) ([]float32, error) {
	if n <= 0 || steps <= 0 {
		return nil, fmt.Errorf("sample: n = %d, steps = %d: both must be positive", n, steps)
	}
	if class >= model.Out() {
		return nil, fmt.Errorf("sample: --class %d: the model has %d classes", class, model.Out())
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s, err := langevin.New(Energy{model}, langevin.Config{Steps: steps, StepSize: float32(cfg.LangevinAlpha),
		Noise: float32(cfg.LangevinSigma), Clamp: cfg.Clamp, Seed: seed, Workers: workers})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	x := make([]float32, n*model.In())
	var y []int
	if class >= 0 {
		y = make([]int, n)
		for i := range y {
			y[i] = class
		}
	}
	return x, s.Run(x, y, nil, true, 0)
}
