package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/internal/fakedata"
	"github.com/stretchr/testify/require"
)

// A 32x32 colour image folder goes through the same commands as MNIST:
// train, sample, then eval, which first asks for the set's judge and,
// once `ebm classifier` has written it, uses it.
func TestAColourImageFolderTrainsSamplesAndEvaluates(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model and a judge, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	data, run, out := t.TempDir(), filepath.Join(t.TempDir(), "run"), t.TempDir()
	require.NoError(t, fakedata.RGBFolder(data, 32, 32, 4, 16, 1))
	_, stderr, err := runCLI("train", "--data_dir", data, "--out_dir", run, "--epochs", "1", "--batch_size", "16",
		"--langevin_steps", "2", "--buffer_size", "32", "--convs", "8c4s2p1,16c4s2p1", "--hidden", "16")
	require.NoError(t, err, stderr)
	ckpt := filepath.Join(run, "checkpoint.ebm")
	_, stderr, err = runCLI("sample", "--checkpoint", ckpt, "--out", filepath.Join(out, "s.png"), "--samples", "8", "--langevin_steps", "2")
	require.NoError(t, err, stderr)

	evalArgs := []string{"eval", "--checkpoint", ckpt, "--data_dir", data, "--out", filepath.Join(out, "e.json"), "--report", filepath.Join(out, "r.html"),
		"--samples", "8", "--langevin_steps", "2", "--inpaint_steps", "2"}
	_, _, err = runCLI(evalArgs...)
	require.ErrorContains(t, err, "has no judge")
	require.ErrorContains(t, err, "ebm classifier --data_dir "+data)

	stdout, stderr, err := runCLI("classifier", "--data_dir", data)
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, filepath.Join(data, "judge.ebmclf"))
	_, stderr, err = runCLI(evalArgs...)
	require.NoError(t, err, stderr)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "e.json"))), &rep))
	require.Equal(t, filepath.Base(data), rep["data"])
	require.Equal(t, []any{"blue", "green", "red", "red-square"}, rep["classes"])
	require.Contains(t, readFile(t, filepath.Join(out, "r.html")), "red-square")

	// Against an MNIST-shaped set the model is refused, before any work.
	other := t.TempDir()
	require.NoError(t, fakedata.RGBFolder(other, 28, 28, 4, 2, 1))
	_, _, err = runCLI("eval", "--checkpoint", ckpt, "--data_dir", other, "--out", filepath.Join(out, "x.json"))
	require.ErrorContains(t, err, "evaluate a model on its own data set")
	_, _, err = runCLI("inpaint", "--checkpoint", ckpt, "--data_dir", data, "--out", filepath.Join(out, "i.png"), "--test_limit", "4", "--inpaint_steps", "2")
	require.NoError(t, err)
}
