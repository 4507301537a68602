package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/train"
)

// estimated are the recipes `ebm info --estimate` times: the default and
// the convolutional preset, the two a user chooses between.
var estimated = []string{"default", "conv"}

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	estimate := fs.Bool("estimate", false, "also time a few training steps of the default recipe and of --preset conv here (on synthetic MNIST-sized data, some 10 to 30 s) and print how long each full training would take on this machine")
	workers := fs.Int("workers", 0, "workers the estimate's training steps use (0: one per core)")
	if err := parse(fs, args); err != nil {
		return err
	}
	info := struct {
		kernels.Info
		Estimates map[string]train.Estimate `json:"estimates,omitempty"`
	}{Info: kernels.Describe()}
	if *estimate {
		fmt.Fprintf(stderr, "timing training steps of %s on synthetic data ...\n", strings.Join(estimated, " and "))
		var err error
		if info.Estimates, err = estimateRecipes(*workers); err != nil {
			return err
		}
	}
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
		fmt.Fprintf(stdout, "  %-8s tile %-5s dgemm %-5s requires %-18s %s\n", im.Name, im.Tile, im.DgemmTile, strings.Join(im.Requires, ","), state)
	}
	if info.Estimates != nil {
		fmt.Fprintf(stdout, "training on MNIST here (kernels %s, %d workers; steps timed just now):\n", info.Active, info.Estimates[estimated[0]].Workers)
		for _, name := range estimated {
			e := info.Estimates[name]
			fmt.Fprintf(stdout, "  --preset %-8s %6.1f ms a step x %d steps, with validation: about %.0f min\n", name, e.StepSeconds*1000, e.Steps, e.Seconds/60)
		}
	}
	return nil
}

// MNIST's training and test set sizes, the synthetic data's.
const mnistTrain, mnistTest = 60000, 10000

// estimateRecipes times each estimated preset on MNIST-sized synthetic
// data.
func estimateRecipes(workers int) (map[string]train.Estimate, error) {
	trainSet := syntheticMNIST(mnistTrain, streams.EstimateTrain)
	testSet := syntheticMNIST(mnistTest, streams.EstimateTest)
	out := map[string]train.Estimate{}
	for _, name := range estimated {
		r, err := train.PresetRecipe(name)
		if err != nil {
			return nil, err
		}
		e, err := train.EstimateRun(context.Background(), r, workers, trainSet, testSet)
		if err != nil {
			return nil, fmt.Errorf("estimate of --preset %s: %w", name, err)
		}
		out[name] = e
	}
	return out, nil
}
