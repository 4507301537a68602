// Command ebm trains, samples and benchmarks joint energy-based models on
// MNIST. Run `ebm help` for the commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

const usage = `ebm: joint energy-based models on MNIST, trained with Langevin dynamics.

Commands:
  ebm train  [flags]   train a model (ebm train -h lists the flags)
  ebm sample --checkpoint F [--class y] [--n 64] [--steps K] --out grid.png
  ebm eval   --checkpoint F --json out.json [--report out.html]
  ebm inpaint --checkpoint F --out grid.png
  ebm classifier --out F   train the fixed judge classifier that eval uses
  ebm info             CPU features and the kernels chosen
  ebm bench [--json]   time training iterations of the original configuration
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // the usage was asked for and printed
		}
		fmt.Fprintln(os.Stderr, "ebm: "+oneLine(err))
		if errors.Is(err, train.ErrInterrupted) {
			os.Exit(130)
		}
		os.Exit(2)
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func run(args []string, stdout, stderr io.Writer) error {
	if err := kernels.EnvError(); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "train":
		return cmdTrain(args[1:], stderr)
	case "sample":
		return cmdSample(args[1:], stdout, stderr)
	case "info":
		return cmdInfo(args[1:], stdout, stderr)
	case "eval":
		return cmdEval(args[1:], stdout, stderr)
	case "inpaint":
		return cmdInpaint(args[1:], stdout, stderr)
	case "classifier":
		return cmdClassifier(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (want train, sample, eval, inpaint, classifier, info or bench)", args[0])
}

// flagSet is one command's flags and where its help goes.
type flagSet struct {
	*flag.FlagSet
	cmd    string
	stderr io.Writer
}

// newFlags silences the flag package, which would print its message and the
// whole usage on any error: parse reports one line, and the usage on -h only.
func newFlags(name string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("ebm "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{fs, name, stderr}
}

// parse reports a bad flag in one line, or the usage on -h.
func parse(fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(fs.stderr, "usage: ebm %s [flags]\n", fs.cmd)
			fs.SetOutput(fs.stderr)
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// intList parses "512,512,512".
type intList struct{ v *[]int }

func (l intList) String() string {
	if l.v == nil {
		return ""
	}
	var s []string
	for _, x := range *l.v {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, ",")
}

func (l intList) Set(s string) error {
	var out []int
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not a list of integers", s)
		}
		out = append(out, x)
	}
	*l.v = out
	return nil
}

func cmdTrain(args []string, stderr io.Writer) error {
	cfg := train.Default()
	fs := newFlags("train", stderr)
	preset := fs.String("preset", "default", "starting configuration: default, original (the original script's: 50 steps from noise, alpha 0.5, sigma 0.05) or jem (JEM's published recipe); other flags override it")
	// The preset must be known before the other flags apply on top of it.
	for i, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "preset="); ok {
			*preset = v
		} else if strings.TrimLeft(a, "-") == "preset" && i+1 < len(args) {
			*preset = args[i+1]
		}
	}
	cfg, err := train.Preset(*preset)
	if err != nil {
		return err
	}
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	fs.IntVar(&cfg.BatchSize, "batch_size", cfg.BatchSize, "examples per step (and Langevin chains per step)")
	fs.IntVar(&cfg.LangevinSteps, "langevin_steps", cfg.LangevinSteps, "SGLD steps per training step")
	fs.Float64Var(&cfg.LangevinAlpha, "langevin_alpha", cfg.LangevinAlpha, "SGLD step size alpha: x -= alpha*grad E(x)")
	fs.Float64Var(&cfg.LangevinSigma, "langevin_sigma", cfg.LangevinSigma, "SGLD noise scale sigma")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	fs.StringVar(&cfg.LRSchedule, "lr_schedule", cfg.LRSchedule, "learning-rate schedule: cosine (decays to 5% of --lr) or constant")
	fs.IntVar(&cfg.WarmupSteps, "warmup_steps", cfg.WarmupSteps, "steps of linear learning-rate warmup")
	fs.StringVar(&cfg.LogFile, "log_file", cfg.LogFile, "log file, relative to --out_dir unless absolute")
	fs.StringVar(&cfg.DataDir, "data_dir", os.Getenv(mnist.EnvVar), "folder with the MNIST IDX files (default $"+mnist.EnvVar+")")
	fs.StringVar(&cfg.OutDir, "out_dir", cfg.OutDir, "run directory: checkpoint, metrics, images")
	fs.Func("seed", fmt.Sprintf("random seed (default %d)", cfg.Seed), func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		cfg.Seed = v
		return err
	})
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "Langevin worker goroutines (0: one per core); results do not depend on it")
	fs.IntVar(&cfg.SampleEvery, "sample_every", cfg.SampleEvery, "write a grid of samples every N epochs")
	fs.IntVar(&cfg.BufferSize, "buffer_size", cfg.BufferSize, "replay buffer slots (0: every chain starts from noise)")
	fs.Float64Var(&cfg.BufferReinit, "buffer_reinit", cfg.BufferReinit, "share of buffer chains restarted from noise each step")
	fs.BoolVar(&cfg.ClassCond, "class_cond", cfg.ClassCond, "training chains sample p(x|y) from E(x,y) = -f(x)[y], classes balanced (the buffer's slot labels)")
	fs.Float64Var(&cfg.GenWeight, "gen_weight", cfg.GenWeight, "w, the weight of the generative term w*(mean E(x_real) - mean E(x_sample)) against the cross-entropy")
	fs.Float64Var(&cfg.EnergyReg, "energy_reg", cfg.EnergyReg, "lambda of the lambda*(E_real^2 + E_sample^2) regulariser")
	fs.Float64Var(&cfg.ClipNorm, "clip_norm", cfg.ClipNorm, "clip the gradient norm to this (0: off)")
	fs.Float64Var(&cfg.DataNoise, "data_noise", cfg.DataNoise, "standard deviation of Gaussian noise added to real images (0: off)")
	fs.Float64Var(&cfg.EMA, "ema", cfg.EMA, "decay of the moving average of the weights that evaluation and sampling use (0: off, use the trained weights)")
	fs.BoolVar(&cfg.Clamp, "clamp", cfg.Clamp, "clamp samples to [-1,1] after each Langevin step")
	fs.Float64Var(&cfg.GuardEnergy, "guard_energy", cfg.GuardEnergy, "divergence guard: roll back when a batch's mean |E| exceeds this (0: off)")
	fs.Float64Var(&cfg.GuardAccDrop, "guard_acc_drop", cfg.GuardAccDrop, "divergence guard: roll back when validation accuracy falls this far below its best (0: off)")
	fs.IntVar(&cfg.MaxRollbacks, "max_rollbacks", cfg.MaxRollbacks, "divergences to recover from (roll back, halve the lr, restart the buffer) before stopping")
	fs.Var(intList{&cfg.Hidden}, "hidden", "hidden layer widths, comma-separated")
	fs.IntVar(&cfg.TrainLimit, "train_limit", 0, "use only the first N training images (0: all)")
	fs.IntVar(&cfg.TestLimit, "test_limit", 0, "use only the first N test images (0: all)")
	fs.BoolVar(&cfg.Download, "download", cfg.Download, "download missing MNIST files from the public mirrors")
	resume := fs.Bool("resume", false, "continue the run in --out_dir from its checkpoint")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.DataDir == "" {
		return fmt.Errorf("no data folder: pass --data_dir or set %s (the folder holding the MNIST IDX files)", mnist.EnvVar)
	}
	if st, err := os.Stat(cfg.DataDir); err != nil || !st.IsDir() {
		if !cfg.Download {
			return fmt.Errorf("--data_dir %s: not a folder", cfg.DataDir)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("--out_dir %s: %w", cfg.OutDir, err)
	}
	logPath := cfg.LogFile
	if !filepath.IsAbs(logPath) {
		logPath = filepath.Join(cfg.OutDir, logPath)
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("--log_file: %w", err)
	}
	defer lf.Close()
	log := slog.New(slog.NewMultiHandler(slog.NewTextHandler(stderr, nil), slog.NewTextHandler(lf, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "resume" {
			explicit[f.Name] = true
		}
	})
	return train.Execute(ctx, cfg, *resume, explicit, log, stderr)
}

// chainStepsDefault describes the default of --steps (train.Checkpoint.ChainSteps).
const chainStepsDefault = " (default: as many as the median chain of the run's replay buffer had run, at least the run's langevin_steps)"

func cmdSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sample", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint file (a run's checkpoint.ebm)")
	class := fs.Int("class", -1, "sample E(x, y) for this class (default: unconditional E(x))")
	n := fs.Int("n", 64, "number of samples")
	steps := fs.Int("steps", 0, "Langevin steps from noise"+chainStepsDefault)
	out := fs.String("out", "", "PNG grid to write")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "worker goroutines (0: one per core)")
	alpha := fs.Float64("langevin_alpha", -1, "SGLD step size (default: the run's)")
	sigma := fs.Float64("langevin_sigma", -1, "SGLD noise scale (default: the run's)")
	weights := weightsFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *ckpt == "" || *out == "" {
		return errors.New("sample: --checkpoint and --out are required")
	}
	c, err := train.LoadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	if err := c.UseWeights(*weights); err != nil {
		return err
	}
	k := *steps
	if k == 0 {
		k = c.ChainSteps()
	}
	if *alpha >= 0 {
		c.Config.LangevinAlpha = *alpha
	}
	if *sigma >= 0 {
		c.Config.LangevinSigma = *sigma
	}
	x, err := train.Sample(c.Model, c.Config, *n, k, *class, *workers, *seed)
	if err != nil {
		return err
	}
	side := 28
	if err := train.WriteGrid(*out, x, *n, side, side, 8); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d samples (%d steps) to %s\n", *n, k, *out)
	return nil
}

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	info := kernels.Describe()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "cpu:      %s\nfeatures: %s\nkernels:  %s", info.CPU, strings.Join(info.Features, " "), info.Active)
	if info.EnvOverride != "" {
		fmt.Fprintf(stdout, " (%s=%s)", kernels.EnvVar, info.EnvOverride)
	}
	fmt.Fprintln(stdout)
	for _, im := range info.Implementations {
		state := "available"
		if !im.Available {
			state = "unavailable: " + im.Reason
		}
		fmt.Fprintf(stdout, "  %-8s tile %-5s requires %-18s %s\n", im.Name, im.Tile, strings.Join(im.Requires, ","), state)
	}
	return nil
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	iters := fs.Int("iters", 20, "timed iterations")
	warmup := fs.Int("warmup", 3, "untimed iterations first")
	workers := fs.Int("workers", 0, "Langevin workers (0: one per core)")
	steps := fs.Int("langevin_steps", 50, "Langevin steps per iteration")
	batch := fs.Int("batch_size", 64, "batch size")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed iterations to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *iters <= 0 || *warmup < 0 {
		return fmt.Errorf("bench: --iters = %d, --warmup = %d: need iters > 0, warmup >= 0", *iters, *warmup)
	}
	cfg := train.Original()
	cfg.Workers, cfg.LangevinSteps, cfg.BatchSize = *workers, *steps, *batch
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Timing does not depend on pixel values: synthetic data keeps the
	// benchmark free of the data set.
	rng := rand.New(rand.NewPCG(1, 2))
	n := cfg.BatchSize * (*iters + *warmup)
	d := &mnist.Dataset{N: n, Rows: 28, Cols: 28, Images: make([]float32, n*784), Labels: make([]uint8, n)}
	for i := range d.Images {
		d.Images[i] = float32(2*rng.Float64() - 1)
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(10))
	}
	t, err := train.NewTrainer(cfg, d, d, nil)
	if err != nil {
		return err
	}
	defer t.Close()
	idx := make([]int, cfg.BatchSize)
	var start time.Time
	for it := range *iters + *warmup {
		if it == *warmup {
			start = time.Now()
			if *cpuprofile != "" {
				f, err := os.Create(*cpuprofile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
		}
		for i := range idx {
			idx[i] = it*cfg.BatchSize + i
		}
		if _, err := t.Step(idx); err != nil {
			return err
		}
	}
	el := time.Since(start)
	ms := el.Seconds() * 1000 / float64(*iters)
	res := map[string]any{
		"iter_ms": ms, "iters_per_s": 1000 / ms, "iters": *iters, "batch_size": cfg.BatchSize,
		"langevin_steps": cfg.LangevinSteps, "workers": t.Cfg.Workers, "kernels": kernels.Active(),
		"model": t.Model.Sizes,
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%.2f ms/iteration (%.2f it/s): batch %d, %d Langevin steps from noise, %d workers, kernels %s\n",
		ms, 1000/ms, cfg.BatchSize, cfg.LangevinSteps, t.Cfg.Workers, kernels.Active())
	return nil
}
