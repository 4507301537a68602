package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/run"
	"github.com/stretchr/testify/require"
)

// A run folder reads as running while its lock is held, interrupted with a
// checkpoint to resume, finished when every epoch is done, and failed when
// its last attempt ended in an error (status.json says so; no log is read).
func TestInspectRunTellsTheState(t *testing.T) {
	smallMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	job := Job{Given: map[string]string{"epochs": "2", "train_limit": "640", "test_limit": "200", "langevin_steps": "2", "buffer_size": "100"},
		Options: Options{DataDir: os.Getenv(mnist.EnvVar), OutDir: dir, LogFile: "train.log", SampleEvery: 1}}

	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	job.Hooks.Step = func(t *Trainer, _ StepStats) {
		if steps++; steps == 3 { // mid-epoch 1: the run is locked
			info, err := InspectRun(dir)
			if err == nil && info.State == run.Running {
				cancel()
			}
		}
	}
	require.ErrorIs(t, Execute(ctx, job), ErrInterrupted)
	require.Equal(t, 3, steps, "the run saw itself running and stopped")
	info, err := InspectRun(dir)
	require.NoError(t, err)
	require.Equal(t, run.Interrupted, info.State)
	require.Equal(t, 0, info.Epoch)
	require.Equal(t, 2, info.Epochs)

	job.Resume, job.Hooks = true, Hooks{}
	require.NoError(t, Execute(context.Background(), job))
	info, err = InspectRun(dir)
	require.NoError(t, err)
	require.Equal(t, run.Finished, info.State)
	require.Equal(t, 2, info.Epoch)
	require.Equal(t, "samples_final.png", info.Samples)
	require.Equal(t, 2, info.Last.Epoch)

	// A resume that fails (its data folder has no MNIST) leaves the run failed, saying why.
	job.Given = map[string]string{"epochs": "3"}
	job.Options.DataDir, job.Options.Download = t.TempDir(), false
	require.Error(t, Execute(context.Background(), job))
	info, err = InspectRun(dir)
	require.NoError(t, err)
	require.Equal(t, run.Failed, info.State)
	require.Contains(t, info.Error, "neither an image folder")

	// A new run that fails before its first checkpoint is failed too, with its recipe.
	other := filepath.Join(t.TempDir(), "other")
	job = Job{Given: map[string]string{"epochs": "4"}, Options: Options{DataDir: t.TempDir(), OutDir: other, LogFile: "x.log", SampleEvery: 1}}
	require.Error(t, Execute(context.Background(), job))
	info, err = InspectRun(other)
	require.NoError(t, err)
	require.Equal(t, run.Failed, info.State)
	require.Equal(t, 4, info.Epochs)
}

// A status record that says running with nobody holding the lock is a run
// whose process died without a word: failed, saying so.
func TestInspectRunSeesADeadProcess(t *testing.T) {
	d := run.Dir(t.TempDir())
	require.NoError(t, d.WriteStatus(run.Status{State: run.Running, Epochs: 5}))
	info, err := InspectRun(string(d))
	require.NoError(t, err)
	require.Equal(t, run.Failed, info.State)
	require.Contains(t, info.Error, "killed")
}
