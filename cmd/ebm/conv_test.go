package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The conv preset's network trains for an epoch on 2,000 images and writes
// every artifact; its checkpoint describes the network and serves every
// command that reads a run.
func TestConvRunWritesEveryArtifactAndServesEveryCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains and evaluates a convolutional run, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "conv")
	_, stderr, err := runCLI("train", "--preset", "conv", "--data_dir", data, "--out_dir", out, "--epochs", "1",
		"--train_limit", "2000", "--test_limit", "300", "--warmup_steps", "0", "--langevin_steps", "3", "--buffer_size", "500", "--sample_every", "1", "--log_file", "train.log")
	require.NoError(t, err, stderr)
	for _, f := range []string{"checkpoint.ebm", "metrics.jsonl", "config.json", "loss_curve.svg", "real.png",
		"samples_epoch001.png", "samples_final.png", "train.log"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	require.Contains(t, readFile(t, filepath.Join(out, "train.log")), `arch="28x28x1 32c4s2p1 64c4s2p1 128c3s2p1 2048-256-10"`)
	var config map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "config.json"))), &config))
	require.Equal(t, "32c4s2p1,64c4s2p1,128c3s2p1", config["convs"])

	ckpt := filepath.Join(out, "checkpoint.ebm")
	stdout, stderr, err := runCLI("sample", "--checkpoint", ckpt, "--samples", "8", "--langevin_steps", "2",
		"--out", filepath.Join(out, "grid.png"))
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, "wrote 8 samples (2 steps from class_gauss)", "the preset's chains start from class Gaussians")
	ev := filepath.Join(out, "eval.json")
	_, stderr, err = runCLI("eval", "--checkpoint", ckpt, "--data_dir", data, "--weights", "trained", "--out", ev, "--report", filepath.Join(out, "report.html"),
		"--samples", "20", "--langevin_steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, ev)), &rep))
	require.Greater(t, rep["accuracy"].(float64), 0.2, "31 steps on 2,000 digits classify twice as well as chance")
	require.Contains(t, readFile(t, filepath.Join(out, "report.html")), "28x28x1 32c4s2p1 64c4s2p1 128c3s2p1 2048-256-10")
	require.Equal(t, "gradnorm", rep["ood_score"])
	require.Equal(t, "class_gauss", rep["generation"].(map[string]any)["chain_start"], "evaluated from the run's own start")
	stdout, stderr, err = runCLI("inpaint", "--checkpoint", ckpt, "--data_dir", data, "--out", filepath.Join(out, "inpaint.png"),
		"--test_limit", "8", "--inpaint_steps", "2")
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, "inpaint_accuracy")

	// Resumed for a second epoch, it continues under its recipe and network.
	_, stderr, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--resume", "--epochs", "2", "--buffer_size", "500")
	require.NoError(t, err, stderr)
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 2)
}
