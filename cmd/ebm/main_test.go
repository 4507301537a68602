package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

// TestMain lets tests run this binary's main as a child process.
func TestMain(m *testing.M) {
	if os.Getenv("EBM_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func dataDir(t *testing.T) string {
	d := os.Getenv(mnist.EnvVar)
	if d == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	return d
}

func runCLI(args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	err = run(args, &o, &e)
	return o.String(), e.String(), err
}

// A short `ebm train` writes every artifact of a run directory, and the
// checkpoint feeds `ebm sample`.
func TestTrainWritesEveryArtifact(t *testing.T) {
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "run")
	_, stderr, err := runCLI("train", "--data_dir", data, "--out_dir", out, "--epochs", "2", "--sample_every", "1",
		"--train_limit", "640", "--test_limit", "200", "--langevin_steps", "2", "--buffer_size", "200", "--log_file", "train.log")
	require.NoError(t, err, stderr)
	for _, f := range []string{"checkpoint.ebm", "metrics.jsonl", "config.json", "loss_curve.svg", "real.png",
		"samples_epoch001.png", "samples_epoch002.png", "samples_final.png", "train.log"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 2)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	for _, k := range []string{"epoch", "train_loss", "val_loss", "val_acc", "val_acc_ema", "seconds"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, 2, m["epoch"])
	// Buffer chains run 2 steps per draw, and at most 2 epochs x 10 batches of them.
	age := m["buffer_steps_median"].(float64)
	require.True(t, age > 0 && age <= 40 && int(age)%2 == 0, "buffer_steps_median = %v", age)
	log := readFile(t, filepath.Join(out, "train.log"))
	for _, want := range []string{"msg=config", "msg=kernels", "msg=data", "msg=epoch", "val_acc=", "msg=done"} {
		require.Contains(t, log, want)
	}
	require.Contains(t, stderr, "it/s", "progress line")
	require.Contains(t, readFile(t, filepath.Join(out, "loss_curve.svg")), "<polyline")

	// A second plain run must not overwrite this checkpoint.
	before := readFile(t, filepath.Join(out, "checkpoint.ebm"))
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--epochs", "1", "--train_limit", "640")
	require.ErrorContains(t, err, "already holds a checkpoint")
	require.Equal(t, before, readFile(t, filepath.Join(out, "checkpoint.ebm")))

	// A resumed run keeps its definition.
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--resume", "--lr", "0.5")
	require.ErrorContains(t, err, "--lr 0.5 differs from the checkpoint's 0.001")
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--resume", "--preset", "original")
	require.ErrorContains(t, err, "--preset cannot be combined with --resume")

	// Resume with more epochs continues from epoch 3.
	_, stderr, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--epochs", "3", "--resume", "--log_file", "train.log")
	require.NoError(t, err, stderr)
	lines = strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 3)

	grid := filepath.Join(t.TempDir(), "grid.png")
	stdout, _, err := runCLI("sample", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--class", "3", "--n", "16", "--steps", "5", "--out", grid)
	require.NoError(t, err)
	require.Contains(t, stdout, "wrote 16 samples")
	require.FileExists(t, grid)
	// Without --steps, chains from noise run as long as the buffer's median chain.
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &m))
	stdout, _, err = runCLI("sample", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--n", "16", "--out", grid)
	require.NoError(t, err)
	require.Contains(t, stdout, fmt.Sprintf("(%d steps)", int(m["buffer_steps_median"].(float64))))

	ev := t.TempDir()
	stdout, stderr, err = runCLI("eval", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--data_dir", data,
		"--json", filepath.Join(ev, "eval.json"), "--report", filepath.Join(ev, "report.html"),
		"--samples", "20", "--steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, "fid")
	require.Contains(t, readFile(t, filepath.Join(ev, "eval.json")), `"ood_auroc"`)
	require.Contains(t, readFile(t, filepath.Join(ev, "eval.json")), `"weights": "ema"`)
	require.Contains(t, readFile(t, filepath.Join(ev, "report.html")), "<html>")
	stdout, _, err = runCLI("inpaint", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--data_dir", data,
		"--out", filepath.Join(ev, "inpaint.png"), "--n", "16", "--steps", "2")
	require.NoError(t, err)
	require.Contains(t, stdout, "inpaint_accuracy")
	require.FileExists(t, filepath.Join(ev, "inpaint.png"))

	// --weights trained evaluates the optimiser's weights instead of their average.
	_, stderr, err = runCLI("eval", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--data_dir", data, "--weights", "trained",
		"--json", filepath.Join(ev, "trained.json"), "--samples", "20", "--steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
	require.NoError(t, err, stderr)
	require.Contains(t, readFile(t, filepath.Join(ev, "trained.json")), `"weights": "trained"`)
	_, _, err = runCLI("sample", "--checkpoint", filepath.Join(out, "checkpoint.ebm"), "--weights", "best", "--out", grid)
	require.ErrorContains(t, err, `--weights "best": want ema or trained`)
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// Bad input gives one line naming the problem and an error, never a panic.
func TestBadInputIsOneClearLine(t *testing.T) {
	empty := t.TempDir()
	corrupt := t.TempDir()
	for _, f := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		require.NoError(t, os.WriteFile(filepath.Join(corrupt, f), []byte{0, 0, 8, 3, 0, 0, 0, 9}, 0o644))
	}
	notCkpt := filepath.Join(empty, "x.ebm")
	require.NoError(t, os.WriteFile(notCkpt, []byte("hello"), 0o644))
	out := func() string { return filepath.Join(t.TempDir(), "run") }
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"trian"}, `unknown command "trian"`},
		{[]string{"train", "--epochz", "3"}, "flag provided but not defined: -epochz"},
		{[]string{"train", "--data_dir", empty, "--epochs", "0", "--out_dir", out()}, "--epochs = 0"},
		{[]string{"train", "--data_dir", empty, "--langevin_steps", "-5", "--out_dir", out()}, "--langevin_steps = -5"},
		{[]string{"train", "--data_dir", empty, "--langevin_sigma", "-1", "--out_dir", out()}, "--langevin_sigma = -1"},
		{[]string{"train", "--data_dir", empty, "--batch_size", "x"}, "invalid value"},
		{[]string{"train", "--data_dir", empty, "--download=false", "--out_dir", out()}, "not found in " + empty},
		{[]string{"train", "--data_dir", filepath.Join(empty, "nope"), "--download=false", "--out_dir", out()}, "not a folder"},
		{[]string{"train", "--data_dir", corrupt, "--download=false", "--out_dir", out()}, "SHA-256"},
		{[]string{"train", "--data_dir", empty, "--preset", "fast"}, `--preset "fast"`},
		{[]string{"train", "--data_dir", empty, "--ema", "1", "--out_dir", out()}, "--ema = 1"},
		{[]string{"sample", "--checkpoint", notCkpt, "--out", filepath.Join(empty, "g.png")}, "not an ebm checkpoint"},
		{[]string{"sample", "--out", "g.png"}, "--checkpoint and --out are required"},
		{[]string{"bench", "--iters", "0"}, "--iters = 0"},
		{[]string{"eval", "--checkpoint", notCkpt}, "--checkpoint and --json are required"},
		{[]string{"eval", "--checkpoint", notCkpt, "--json", filepath.Join(empty, "e.json")}, "not an ebm checkpoint"},
		{[]string{"inpaint", "--checkpoint", notCkpt, "--out", "x.png", "--steps", "0"}, "--steps = 0"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, stderr, err := runCLI(c.args...)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.NotContains(t, oneLine(err), "\n")
			require.NotContains(t, stderr, "usage:", "a mistake is one line, not the whole usage")
		})
	}
}

// -h prints the command's usage once.
func TestHelpPrintsTheUsageOnce(t *testing.T) {
	_, stderr, err := runCLI("train", "-h")
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Equal(t, 1, strings.Count(stderr, "usage: ebm train [flags]"))
	require.Contains(t, stderr, "-class_cond")
}

func TestInfoAndBench(t *testing.T) {
	stdout, _, err := runCLI("info", "--json")
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	require.Contains(t, info, "active")
	require.Contains(t, info, "features")

	stdout, _, err = runCLI("bench", "--json", "--iters", "2", "--warmup", "0", "--langevin_steps", "2", "--batch_size", "8")
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Greater(t, res["iter_ms"].(float64), 0.0)
	require.Greater(t, res["iters_per_s"].(float64), 0.0)
}

// SIGTERM during training finishes the step, writes the checkpoint and
// exits non-zero; --resume then completes the run.
func TestSIGTERMCheckpointsAndResumes(t *testing.T) {
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--data_dir", data, "--out_dir", out, "--epochs", "2", "--train_limit", "3200",
		"--test_limit", "200", "--langevin_steps", "5", "--buffer_size", "500"}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "EBM_TEST_MAIN=1")
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	training := make(chan struct{})
	logged := make(chan string)
	go func() {
		var all strings.Builder
		started := false
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "it/s") && !started {
				close(training)
				started = true
			}
		}
		logged <- all.String()
	}()
	// Stop the run once it reports progress.
	select {
	case <-training:
	case <-time.After(60 * time.Second):
		t.Fatal("no progress line within a minute")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	stderr := <-logged
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, stderr)
	require.Equal(t, 130, exit.ExitCode())
	require.Contains(t, stderr, "interrupted: checkpoint saved")
	require.FileExists(t, filepath.Join(out, "checkpoint.ebm"))

	_, errOut, err := runCLI(append(args, "--resume")...)
	require.NoError(t, err, errOut)
	require.Contains(t, errOut, "msg=resumed")
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 2)
}
