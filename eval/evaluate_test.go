package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// loadData reads MNIST, its judge and, with fashion, 300 of Fashion-MNIST's
// test images when that folder is beside it.
func loadData(t *testing.T, fashion bool) Data {
	dir := os.Getenv(mnist.EnvVar)
	if dir == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	set, err := mnist.Open(dir, false)
	require.NoError(t, err)
	judge, err := FindJudge(set, "")
	require.NoError(t, err)
	d := Data{Name: set.Name, Train: set.Train, Test: set.Test, Judge: judge}
	if fashion {
		for _, n := range set.Neighbours() {
			o, err := mnist.Open(n, false)
			require.NoError(t, err)
			d.OOD = append(d.OOD, OODSet{o.Name, o.Test.Subset(300)})
		}
	}
	return d
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Evaluating a tiny checkpoint fills every key of the JSON and renders the
// report page.
func TestEvaluateWritesEveryKey(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model and evaluates it, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	d := loadData(t, true)
	ck, path := smallCheckpoint(t, d)
	d.Test = d.Test.Subset(300)
	var mu sync.Mutex
	stages := map[string]bool{}
	var outOfRange []string // asserted here, not in the sampler's workers
	rep, err := Evaluate(context.Background(), ck, d, Options{Samples: 40, Dynamics: langevin.Config{Steps: 3, Alpha: 10, Sigma: 0.005, Clamp: true, Workers: 2, Seed: 1}, InpaintSteps: 2,
		Progress: func(stage string, done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if done < 0 || done > total {
				outOfRange = append(outOfRange, fmt.Sprintf("%s %d/%d", stage, done, total))
			}
			stages[stage] = true
		}})
	require.NoError(t, err)
	require.Empty(t, outOfRange, "progress outside 0..total")
	require.Len(t, stages, 7, "every stage reports: %v", stages)
	js, err := rep.JSON()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	for _, k := range []string{"accuracy", "nll", "ece", "fid", "fid_floor", "cond_accuracy", "class_coverage", "inpaint_accuracy"} {
		require.Contains(t, m, k)
	}
	// Per-class figures add up to the totals.
	require.Len(t, rep.ClassCounts, 10)
	total, mean := 0, 0.0
	for c := range 10 {
		total += rep.ClassCounts[c]
		mean += rep.CondPerClass[c] / 10
	}
	require.Equal(t, 40, total)
	require.InDelta(t, rep.CondAccuracy, mean, 1e-12)
	require.Contains(t, m, "class_counts")
	require.Contains(t, m, "class_coverage_buffer")
	require.True(t, *rep.CoverageBuffer >= 0 && *rep.CoverageBuffer <= 1)
	require.Contains(t, m, "cond_accuracy_per_class")
	// The default run keeps a moving average of its weights; that is what
	// was evaluated, and the JSON says so.
	require.Equal(t, "ema", m["weights"])
	require.Equal(t, ck.Recipe.EMADecay, m["ema_decay"])
	sets := []string{"uniform", "gaussian", "inverted"}
	for _, o := range d.OOD {
		sets = append(sets, o.Name)
	}
	ood := m["ood_auroc"].(map[string]any)
	for _, set := range sets {
		for _, score := range []string{"logpx", "maxsoftmax", "gradnorm"} {
			v := ood[set].(map[string]any)[score].(float64)
			require.True(t, v >= 0 && v <= 1, "%s/%s = %v", set, score, v)
		}
	}
	for _, o := range d.OOD {
		// Each clothing class alone against MNIST; weighted by the
		// class sizes they make up the pooled figure.
		require.Len(t, rep.OODPerClass[o.Name], 10)
		var pooled float64
		for _, l := range o.Test.Labels {
			pooled += rep.OODPerClass[o.Name][l] / float64(o.Test.N)
		}
		require.InDelta(t, rep.OODAUROC[o.Name]["logpx"], pooled, 1e-9)
	}
	// A cancelled evaluation stops with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Evaluate(ctx, ck, d, Options{Samples: 40, Dynamics: langevin.Config{Steps: 3, Clamp: true, Seed: 1}, InpaintSteps: 2})
	require.ErrorIs(t, err, context.Canceled)

	// docs/evaluation.md documents every key.
	doc, err := os.ReadFile("../docs/evaluation.md")
	require.NoError(t, err)
	for k := range m {
		require.Contains(t, string(doc), "`"+k, "docs/evaluation.md does not document %s", k)
	}
	gen := m["generation"].(map[string]any)
	require.Equal(t, map[string]any{"samples": 40.0, "langevin_steps": 3.0, "langevin_alpha": 10.0, "langevin_sigma": 0.005,
		"chain_start": "uniform", "buffer_samples": 100.0}, gen)
	page, err := rep.HTML(path, ck.Model.Arch)
	require.NoError(t, err)
	checkPage(t, string(page), d.OOD != nil)
}

// smallCheckpoint trains a tiny model (one hidden layer of 32, a buffer
// of 100) for one epoch on 640 images and loads its checkpoint.
func smallCheckpoint(t *testing.T, d Data) (*train.Checkpoint, string) {
	r := train.DefaultRecipe()
	r.Epochs, r.LangevinSteps, r.BufferSize, r.Hidden = 1, 2, 100, []int{32}
	tn, err := train.NewTrainer(r, 2, d.Train.Subset(640), d.Test.Subset(200), nil)
	require.NoError(t, err)
	defer tn.Close()
	require.NoError(t, tn.Run(context.Background(), train.Hooks{}))
	path := filepath.Join(t.TempDir(), "c.ebm")
	require.NoError(t, train.SaveCheckpoint(path, tn))
	ck, err := train.LoadCheckpoint(path)
	require.NoError(t, err)
	return ck, path
}

// A page that goes away is heard inside every stage, not at its end:
// cancelled as a stage reports, the evaluation returns context.Canceled
// before any later stage reports.
func TestEvaluateStopsInsideEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model and evaluates it, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	d := loadData(t, true)
	ck, _ := smallCheckpoint(t, d)
	d.Test = d.Test.Subset(300)
	for _, stop := range []string{"classification", "out-of-distribution", "samples", "FID", "conditional samples", "inpainting"} {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var later []string
		_, err := Evaluate(ctx, ck, d, Options{Samples: 40, Dynamics: langevin.Config{Steps: 3, Alpha: 10, Sigma: 0.005, Clamp: true, Workers: 2, Seed: 1}, InpaintSteps: 2,
			Progress: func(stage string, done, total int) {
				mu.Lock()
				defer mu.Unlock()
				if ctx.Err() != nil && stage != stop {
					later = append(later, stage)
				}
				if stage == stop {
					cancel()
				}
			}})
		cancel()
		require.ErrorIs(t, err, context.Canceled, stop)
		require.Empty(t, later, "stages reported after the cancel in %s", stop)
	}
}
