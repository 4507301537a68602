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

// A run's curves are in its folder, a point every PointEvery steps, with no
// gap at a resume and none of the steps a rollback undid; both are marked.
func TestTheCurveSpansResumesAndRollbacks(t *testing.T) {
	smallMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	job := Job{Given: map[string]string{"epochs": "2", "train_limit": "640", "test_limit": "200", "batch_size": "16",
		"langevin_steps": "2", "buffer_size": "100"},
		Options: Options{DataDir: os.Getenv(mnist.EnvVar), OutDir: dir, LogFile: "train.log", SampleEvery: 1}}
	ctx, cancel := context.WithCancel(context.Background())
	var live []run.Point
	job.Hooks.Point = func(_ *Trainer, p run.Point) { live = append(live, p) }
	job.Hooks.Step = func(t *Trainer, _ StepStats) {
		if t.Progress.Step == 13 {
			cancel()
		}
	}
	require.ErrorIs(t, Execute(ctx, job), ErrInterrupted)
	require.Len(t, live, 1, "the page saw the point of step 10")

	blown := false
	job.Resume, job.Hooks = true, Hooks{Step: func(t *Trainer, _ StepStats) {
		if t.Progress.Epoch == 2 && t.Progress.Batch == 5 && !blown {
			blown = true
			for i := range t.Model.Layers[len(t.Model.Layers)-1].B {
				t.Model.Layers[len(t.Model.Layers)-1].B[i] = 1e6 * float32(i%2*2-1)
			}
		}
	}}
	require.NoError(t, Execute(context.Background(), job))
	require.True(t, blown)

	c, err := run.Dir(dir).ReadCurve()
	require.NoError(t, err)
	require.Len(t, c.Points, 8, "40 steps an epoch, a point every 10")
	for i, p := range c.Points {
		require.Equal(t, uint64(10*(i+1)), p.Step, "no gap, no repeat")
		require.InDelta(t, float64(p.Step)/40, p.Epoch, 1e-12)
		require.Greater(t, p.LR, 0.0)
	}
	require.Equal(t, live[0], c.Points[0], "the live point is the recorded one")
	require.Len(t, c.Marks, 2)
	require.Equal(t, run.MarkResume, c.Marks[0].Kind)
	require.Equal(t, uint64(13), c.Marks[0].Step)
	require.Equal(t, run.MarkRollback, c.Marks[1].Kind)
	require.Equal(t, uint64(40), c.Marks[1].Step, "back to the start of epoch 2")
	require.Contains(t, c.Marks[1].Reason, "guard_energy")
	require.Less(t, c.Points[7].LR, c.Points[3].LR, "the learning rate was halved at the rollback")

	// A run started over in the folder forgets the earlier curves.
	require.NoError(t, os.Remove(run.Dir(dir).Checkpoint()))
	job.Resume, job.Hooks = false, Hooks{}
	job.Given["epochs"] = "1"
	require.NoError(t, Execute(context.Background(), job))
	c, err = run.Dir(dir).ReadCurve()
	require.NoError(t, err)
	require.Len(t, c.Points, 4)
	require.Empty(t, c.Marks)
}
