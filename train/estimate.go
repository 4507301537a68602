package train

import (
	"context"
	"fmt"
	"time"

	"github.com/ebm-project/ebm/mnist"
)

// Estimate is how long a recipe's training should take on this machine,
// from timing a few of its own steps and a validation pass here and now.
type Estimate struct {
	StepSeconds       float64 `json:"step_seconds"`       // one training step, measured
	Steps             int     `json:"steps"`              // the run's steps
	ValidationSeconds float64 `json:"validation_seconds"` // one epoch's validation, measured on a part of the test set
	Seconds           float64 `json:"seconds"`            // the whole run, without its sample grids
	Workers           int     `json:"workers"`
}

// Estimate's measurement: a step to warm up, then steps until both
// estimateSteps are timed and estimateTime has passed.
const (
	estimateSteps = 3
	estimateTime  = time.Second
	estimateVal   = 500 // test images validated to time validation
)

// EstimateRun times recipe r on the data (its limits applied) with workers
// workers (0: all). It stops early when ctx is done.
func EstimateRun(ctx context.Context, r Recipe, workers int, trainSet, testSet *mnist.Dataset) (Estimate, error) {
	if r.TrainLimit > 0 {
		trainSet = trainSet.Subset(min(trainSet.N, r.TrainLimit))
	}
	if r.TestLimit > 0 {
		testSet = testSet.Subset(min(testSet.N, r.TestLimit))
	}
	if trainSet.N < r.BatchSize {
		return Estimate{}, fmt.Errorf("--batch_size = %d: larger than the %d training images", r.BatchSize, trainSet.N)
	}
	t, err := NewTrainer(r, workers, trainSet, testSet, nil)
	if err != nil {
		return Estimate{}, err
	}
	defer t.Close()
	step, err := TimeSteps(ctx, t, estimateSteps, estimateTime, 1, nil)
	if err != nil {
		return Estimate{}, err
	}
	part := testSet.Subset(min(testSet.N, estimateVal))
	start := time.Now()
	if _, _, err := t.Validation(part); err != nil {
		return Estimate{}, err
	}
	val := time.Since(start).Seconds() * float64(testSet.N) / float64(part.N)
	if t.EMA != nil {
		val *= 2 // the moving average is validated too
	}
	e := Estimate{StepSeconds: step, Steps: t.totalSteps(), ValidationSeconds: val, Workers: t.Workers()}
	e.Seconds = float64(e.Steps)*step + float64(r.Epochs)*val
	return e, nil
}

// TimeSteps returns the seconds per training step of t over at least
// steps steps and at least minTime, after warmup steps; started (if not
// nil) is called when the timing starts. The steps take consecutive
// batches of the training set.
func TimeSteps(ctx context.Context, t *Trainer, steps int, minTime time.Duration, warmup int, started func()) (float64, error) {
	idx := make([]int, t.Recipe.BatchSize)
	var start time.Time
	for it := 0; ; it++ {
		if it == warmup {
			start = time.Now()
			if started != nil {
				started()
			}
		}
		if it >= warmup+steps && time.Since(start) >= minTime {
			return time.Since(start).Seconds() / float64(it-warmup), nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		for i := range idx {
			idx[i] = (it*len(idx) + i) % t.Train.N
		}
		if _, err := t.Step(idx); err != nil {
			return 0, err
		}
	}
}
