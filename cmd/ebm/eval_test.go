package main

import (
	"os"
	"path/filepath"
	"testing"

	runfolder "github.com/ebm-project/ebm/run"
	"github.com/stretchr/testify/require"
)

// `ebm eval` writes the JSON and the report page of a run's checkpoint,
// for its moving average by default or for its trained weights.
func TestEvalWritesJSONAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: evaluates a trained run, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	data := dataDir(t)
	ckpt := filepath.Join(trainedRun(t), "checkpoint.ebm")
	ev := t.TempDir()
	stdout, stderr, err := runCLI("eval", "--checkpoint", ckpt, "--data_dir", data,
		"--out", filepath.Join(ev, "eval.json"), "--report", filepath.Join(ev, "report.html"),
		"--samples", "20", "--langevin_steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, "fid")
	for _, stage := range []string{"classification", "out-of-distribution", "samples", "FID", "conditional samples", "inpainting"} {
		require.Contains(t, stderr, stage+":", "a long evaluation says where it is")
	}
	js := readFile(t, filepath.Join(ev, "eval.json"))
	require.Contains(t, js, `"ood_auroc"`)
	require.Contains(t, js, `"ood_score": "logpx"`)
	require.Contains(t, js, `"ood_score_auroc"`)
	require.Contains(t, js, `"weights": "ema"`)
	require.Contains(t, js, `"langevin_steps": 2`)
	page := readFile(t, filepath.Join(ev, "report.html"))
	require.Contains(t, page, "<html>")
	require.NotContains(t, page, "%!")

	_, stderr, err = runCLI("eval", "--checkpoint", ckpt, "--data_dir", data, "--weights", "trained",
		"--out", filepath.Join(ev, "trained.json"), "--samples", "20", "--langevin_steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	require.Contains(t, readFile(t, filepath.Join(ev, "trained.json")), `"weights": "trained"`)

	// Without --out, the evaluation is kept in the run folder, where the
	// page lists it; a checkpoint outside a run folder needs --out.
	folder := t.TempDir()
	kept := filepath.Join(folder, "checkpoint.ebm")
	require.NoError(t, os.WriteFile(kept, []byte(readFile(t, ckpt)), 0o644))
	_, stderr, err = runCLI("eval", "--checkpoint", kept, "--data_dir", data, "--samples", "20", "--langevin_steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	evs := runfolder.Dir(folder).Evaluations()
	require.Len(t, evs, 1)
	require.Contains(t, stderr, "kept in "+filepath.Dir(evs[0].JSON))
	require.Contains(t, readFile(t, evs[0].JSON), `"epoch": 2`)
	require.FileExists(t, evs[0].Report)
	other := filepath.Join(folder, "other.ebm")
	require.NoError(t, os.Rename(kept, other))
	_, _, err = runCLI("eval", "--checkpoint", other, "--data_dir", data)
	require.ErrorContains(t, err, "--out is required unless the checkpoint is a run folder's checkpoint.ebm")
	_, _, err = runCLI("eval", "--checkpoint", filepath.Join(folder, "checkpoint.ebm"), "--report", "r.html")
	require.ErrorContains(t, err, "--report needs --out")
}

// --chain_start names a start law or is refused, before any work, by
// every command that takes it.
func TestEvalRefusesAnUnknownChainStart(t *testing.T) {
	_, _, err := runCLI("eval", "--checkpoint", "no-such.ebm", "--out", "x.json", "--chain_start", "bogus")
	require.ErrorContains(t, err, `--chain_start = "bogus": want one of [uniform class_gauss]`)
	_, _, err = runCLI("inpaint", "--checkpoint", "no-such.ebm", "--out", "x.png", "--chain_start", "bogus")
	require.ErrorContains(t, err, `--chain_start = "bogus": want one of [uniform class_gauss]`)
}
