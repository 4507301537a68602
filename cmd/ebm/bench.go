package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"time"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

// peakSide is the side of the square product whose SGEMM rate on all
// workers is the machine's peak the iteration is compared with.
const peakSide = 2048

// syntheticMNIST is n random MNIST-shaped images and labels drawn from
// PCG(BenchSeed, key): timing does not depend on their values.
func syntheticMNIST(n int, key uint64) *mnist.Dataset {
	rng := rand.New(rand.NewPCG(streams.BenchSeed, key))
	d := &mnist.Dataset{N: n, Rows: mnist.Side, Cols: mnist.Side, Pixels: make([]uint8, n*mnist.Pixels), Labels: make([]uint8, n)}
	for i := range d.Pixels {
		d.Pixels[i] = uint8(rng.IntN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(mnist.Classes))
	}
	return d
}

// cmdBench times training steps of the original configuration, on all
// workers and on one, beside the machine's SGEMM peak: every figure of a
// speed comparison from one command.
func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	iters := fs.Int("iters", 20, "timed iterations")
	warmup := fs.Int("warmup", 3, "untimed iterations first")
	workers := fs.Int("workers", 0, "workers for the chains and the training step (0: one per core)")
	steps := fs.Int("langevin_steps", 50, "Langevin steps per iteration")
	batch := fs.Int("batch_size", 64, "batch size")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed iterations on all workers to this file")
	r, err := train.PresetRecipe("original")
	if err != nil {
		return err
	}
	// The network is the recipe's: --convs and --hidden as ebm train takes them.
	for _, s := range train.Settings(&r) {
		if s.Key == "convs" || s.Key == "hidden" {
			fs.Var(s, s.Key, s.Help)
		}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *iters <= 0 || *warmup < 0 {
		return fmt.Errorf("bench: --iters = %d, --warmup = %d: need iters > 0, warmup >= 0", *iters, *warmup)
	}
	r.LangevinSteps, r.BatchSize = *steps, *batch
	arch, err := r.Arch(mnist.MNISTShape, mnist.Classes)
	if err != nil {
		return err
	}
	// Timing does not depend on pixel values: synthetic data keeps the
	// benchmark free of the data set.
	d := syntheticMNIST(r.BatchSize*(*iters+*warmup), streams.BenchData)
	all, used, flops, err := timeSteps(r, *workers, d, *iters, *warmup, *cpuprofile)
	if err != nil {
		return err
	}
	one, _, _, err := timeSteps(r, 1, d, *iters, *warmup, "")
	if err != nil {
		return err
	}
	peak, err := peakGFLOPS(used)
	if err != nil {
		return err
	}
	gflops := flops / all / 1e9
	ms, msOne := all*1000, one*1000
	res := map[string]any{
		"iter_ms": ms, "iters_per_s": 1000 / ms, "iters": *iters, "batch_size": r.BatchSize,
		"langevin_steps": r.LangevinSteps, "workers": used, "kernels": kernels.Active(), "arch": arch.String(),
		"gflop_per_iter": flops / 1e9, "gflops": gflops, "peak_gflops": peak, "peak_ratio": gflops / peak,
		"iter_ms_1worker": msOne, "speedup_over_1worker": msOne / ms,
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%.2f ms/iteration (%.2f it/s): %s, batch %d, %d Langevin steps from noise, %d workers, kernels %s\n",
		ms, 1000/ms, arch, r.BatchSize, r.LangevinSteps, used, kernels.Active())
	fmt.Fprintf(stdout, "%.1f GFLOP/s of products (%.2f GFLOP an iteration), %.2f of the %.1f GFLOP/s SGEMM peak (%d^3 on %d workers)\n",
		gflops, flops/1e9, gflops/peak, peak, peakSide, used)
	fmt.Fprintf(stdout, "1 worker: %.2f ms/iteration; %d workers are %.2fx faster\n", msOne, used, msOne/ms)
	return nil
}

// timeSteps returns the seconds per training step over iters steps after
// warmup, the workers used and the step's counted FLOPs.
func timeSteps(r train.Recipe, workers int, d *mnist.Dataset, iters, warmup int, cpuprofile string) (float64, int, float64, error) {
	t, err := train.NewTrainer(r, workers, d, d, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	defer t.Close()
	var prof *os.File
	var profErr error
	started := func() { // the profile covers the timed steps only
		if cpuprofile == "" {
			return
		}
		if prof, profErr = os.Create(cpuprofile); profErr == nil {
			profErr = pprof.StartCPUProfile(prof)
		}
	}
	sec, err := train.TimeSteps(context.Background(), t, iters, 0, warmup, started)
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	if err == nil && profErr != nil {
		err = fmt.Errorf("--cpuprofile: %w", profErr)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	return sec, t.Workers(), t.StepFLOPs(), nil
}

// peakGFLOPS is the best of three SGEMMs of peakSide^3 on workers.
func peakGFLOPS(workers int) (float64, error) {
	const n = peakSide
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(i%7)/7, float32(i%5)/5
	}
	best := 0.0
	for range 3 {
		start := time.Now()
		if err := kernels.SgemmParallel(workers, false, false, n, n, n, 1, a, n, b, n, 0, c, n); err != nil {
			return 0, err
		}
		best = max(best, 2*float64(n)*n*n/time.Since(start).Seconds()/1e9)
	}
	return best, nil
}
