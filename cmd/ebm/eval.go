package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint to evaluate")
	jsonOut := fs.String("json", "", "write the figures as JSON here")
	report := fs.String("report", "", "write a self-contained HTML report here")
	dataDir := fs.String("data_dir", os.Getenv(mnist.EnvVar), "MNIST folder (default $"+mnist.EnvVar+")")
	fashionDir := fs.String("fashion_dir", "", "Fashion-MNIST folder for the OOD test (default: fashion-mnist beside --data_dir, skipped if absent)")
	samples := fs.Int("samples", 10000, "chains from noise (and conditional chains in all)")
	steps := fs.Int("steps", 0, "Langevin steps per chain from noise"+chainStepsDefault)
	alpha := fs.Float64("langevin_alpha", -1, "SGLD step size (default: the run's)")
	sigma := fs.Float64("langevin_sigma", -1, "SGLD noise (default: the run's)")
	inpaintSteps := fs.Int("inpaint_steps", 200, "Langevin steps for inpainting")
	testLimit := fs.Int("test_limit", 0, "use only the first N test images (0: all)")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "worker goroutines (0: one per core)")
	weights := weightsFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *ckpt == "" || *jsonOut == "" {
		return errors.New("eval: --checkpoint and --json are required")
	}
	ck, o, err := loadForEval(*ckpt, *weights, *alpha, *sigma, *seed, *workers)
	if err != nil {
		return err
	}
	o.Samples, o.Steps, o.InpaintSteps = *samples, *steps, *inpaintSteps
	if o.Steps == 0 {
		o.Steps = ck.ChainSteps()
	}
	data, err := evalData(*dataDir, *fashionDir, *testLimit, true)
	if err != nil {
		return err
	}
	rep, err := eval.Evaluate(ck, data, o)
	if err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := train.WriteFileAtomic(*jsonOut, js); err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	if *report != "" {
		page, err := rep.HTML(*ckpt, ck.Model.Sizes)
		if err != nil {
			return err
		}
		if err := train.WriteFileAtomic(*report, page); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	fmt.Fprintf(stdout, "accuracy %.4f  nll %.4f  ece %.4f  fid %.2f (floor %.2f)  cond_accuracy %.4f  class_coverage %.4f  inpaint_accuracy %.4f\n",
		rep.Accuracy, rep.NLL, rep.ECE, rep.FID, rep.FIDFloor, rep.CondAccuracy, rep.ClassCoverage, rep.InpaintAccuracy)
	return nil
}

// weightsFlag is --weights of the commands that use a checkpoint's model.
func weightsFlag(fs *flagSet) *string {
	return fs.String("weights", "", "ema (the run's moving average of the weights) or trained (the optimiser's); default: ema when the checkpoint has one")
}

func loadForEval(path, weights string, alpha, sigma float64, seed uint64, workers int) (*train.Checkpoint, eval.Options, error) {
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return nil, eval.Options{}, err
	}
	if err := ck.UseWeights(weights); err != nil {
		return nil, eval.Options{}, err
	}
	if ck.Model.In() != 784 || ck.Model.Out() != 10 {
		return nil, eval.Options{}, fmt.Errorf("%s: model %v is not a 784-input, 10-class MNIST model", path, ck.Model.Sizes)
	}
	o := eval.Options{StepSize: float32(ck.Config.LangevinAlpha), Noise: float32(ck.Config.LangevinSigma), Seed: seed, Workers: workers}
	if alpha >= 0 {
		o.StepSize = float32(alpha)
	}
	if sigma >= 0 {
		o.Noise = float32(sigma)
	}
	return ck, o, nil
}

// evalData loads MNIST and, with fashion, Fashion-MNIST's test set (from
// fashionDir, or beside dataDir when that folder exists).
func evalData(dataDir, fashionDir string, testLimit int, fashion bool) (eval.Data, error) {
	if dataDir == "" {
		return eval.Data{}, fmt.Errorf("no data folder: pass --data_dir or set %s", mnist.EnvVar)
	}
	var d eval.Data
	var err error
	if d.Train, err = mnist.Load(mnist.MNIST, dataDir, "train", false); err != nil {
		return d, err
	}
	if d.Test, err = mnist.Load(mnist.MNIST, dataDir, "test", false); err != nil {
		return d, err
	}
	if testLimit > 0 {
		d.Test = d.Test.Subset(testLimit)
	}
	if !fashion {
		return d, nil
	}
	if fashionDir == "" {
		fashionDir = filepath.Join(filepath.Dir(filepath.Clean(dataDir)), "fashion-mnist")
		if _, err := os.Stat(fashionDir); err != nil {
			return d, nil
		}
	}
	if d.Fashion, err = mnist.Load(mnist.FashionMNIST, fashionDir, "test", false); err != nil {
		return d, err
	}
	if testLimit > 0 {
		d.Fashion = d.Fashion.Subset(testLimit)
	}
	return d, nil
}

func cmdInpaint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inpaint", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint")
	out := fs.String("out", "", "PNG grid to write: hidden inputs, fills, originals")
	dataDir := fs.String("data_dir", os.Getenv(mnist.EnvVar), "MNIST folder (default $"+mnist.EnvVar+")")
	n := fs.Int("n", 1000, "test digits to inpaint")
	steps := fs.Int("steps", 200, "Langevin steps on the hidden pixels")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "worker goroutines (0: one per core)")
	weights := weightsFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *ckpt == "" || *out == "" {
		return errors.New("inpaint: --checkpoint and --out are required")
	}
	if *n <= 0 || *steps <= 0 {
		return fmt.Errorf("inpaint: --n = %d, --steps = %d: both must be positive", *n, *steps)
	}
	ck, o, err := loadForEval(*ckpt, *weights, -1, -1, *seed, *workers)
	if err != nil {
		return err
	}
	o.InpaintSteps = *steps
	data, err := evalData(*dataDir, "", *n, false)
	if err != nil {
		return err
	}
	judge, _, err := eval.FixedClassifier()
	if err != nil {
		return err
	}
	acc, grid, err := eval.Inpaint(ck.Model, judge, data.Test, min(*n, data.Test.N), o)
	if err != nil {
		return err
	}
	if err := train.WriteGrid(*out, grid, len(grid)/784, 28, 28, len(grid)/784/3); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "inpaint_accuracy %.4f on %d test digits (lower half hidden, %d steps); grid in %s\n", acc, min(*n, data.Test.N), *steps, *out)
	return nil
}

func cmdClassifier(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classifier", stderr)
	out := fs.String("out", "", "file to write the classifier to (eval/fixed_classifier.bin to replace the judge)")
	dataDir := fs.String("data_dir", os.Getenv(mnist.EnvVar), "MNIST folder (default $"+mnist.EnvVar+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("classifier: --out is required")
	}
	data, err := evalData(*dataDir, "", 0, false)
	if err != nil {
		return err
	}
	m, acc, err := eval.TrainClassifier(data.Train, data.Test, func(epoch int, acc float64) {
		fmt.Fprintf(stderr, "epoch %d: test accuracy %.4f\n", epoch, acc)
	})
	if err != nil {
		return err
	}
	r := eval.ClassifierRecipe
	b, err := eval.EncodeClassifier(m, eval.ClassifierInfo{Sizes: r.Sizes, Epochs: r.Epochs, Seed: r.Seed, TestAcc: acc, Kernels: kernels.Active()})
	if err != nil {
		return err
	}
	if err := train.WriteFileAtomic(*out, b); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	fmt.Fprintf(stdout, "test accuracy %.4f; wrote %s (SHA-256 %s)\n", acc, *out, hex.EncodeToString(sum[:]))
	return nil
}
