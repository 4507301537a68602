package train

import (
	"os"
	"sync"
	"testing"

	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

var (
	dataOnce          sync.Once
	trainSet, testSet *mnist.Dataset
	dataErr           error
)

// smallMNIST is the first 4000 training and 1000 test images.
func smallMNIST(t *testing.T) (*mnist.Dataset, *mnist.Dataset) {
	dir := os.Getenv(mnist.EnvVar)
	if dir == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	dataOnce.Do(func() {
		r := Recipe{TrainLimit: 4000, TestLimit: 1000, BatchSize: 64}
		trainSet, testSet, _, dataErr = LoadData(r, Options{DataDir: dir})
	})
	require.NoError(t, dataErr)
	return trainSet, testSet
}

// quickRecipe is the default, shortened for tests.
func quickRecipe() Recipe {
	r := DefaultRecipe()
	r.Epochs = 3
	r.LangevinSteps = 10
	r.BufferSize = 1000
	r.WarmupSteps = 20
	r.LRSchedule = "constant"
	return r
}

// newTrainer builds a trainer with two workers and closes it with the test.
func newTrainer(t *testing.T, r Recipe, tr, te *mnist.Dataset) *Trainer {
	tn, err := NewTrainer(r, 2, tr, te, nil)
	require.NoError(t, err)
	t.Cleanup(tn.Close)
	return tn
}
