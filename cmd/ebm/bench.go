package main

import (
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

// cmdBench times training steps of the original configuration.
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
	r, err := train.PresetRecipe("original")
	if err != nil {
		return err
	}
	r.LangevinSteps, r.BatchSize = *steps, *batch
	// Timing does not depend on pixel values: synthetic data keeps the
	// benchmark free of the data set.
	rng := rand.New(rand.NewPCG(streams.BenchSeed, streams.BenchData))
	n := r.BatchSize * (*iters + *warmup)
	d := &mnist.Dataset{N: n, Rows: mnist.Side, Cols: mnist.Side, Pixels: make([]uint8, n*mnist.Pixels), Labels: make([]uint8, n)}
	for i := range d.Pixels {
		d.Pixels[i] = uint8(rng.IntN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(mnist.Classes))
	}
	t, err := train.NewTrainer(r, *workers, d, d, nil)
	if err != nil {
		return err
	}
	defer t.Close()
	idx := make([]int, r.BatchSize)
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
			idx[i] = it*r.BatchSize + i
		}
		if _, err := t.Step(idx); err != nil {
			return err
		}
	}
	ms := time.Since(start).Seconds() * 1000 / float64(*iters)
	res := map[string]any{
		"iter_ms": ms, "iters_per_s": 1000 / ms, "iters": *iters, "batch_size": r.BatchSize,
		"langevin_steps": r.LangevinSteps, "workers": t.Workers(), "kernels": kernels.Active(),
		"model": t.Model.Sizes,
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%.2f ms/iteration (%.2f it/s): batch %d, %d Langevin steps from noise, %d workers, kernels %s\n",
		ms, 1000/ms, r.BatchSize, r.LangevinSteps, t.Workers(), kernels.Active())
	return nil
}
