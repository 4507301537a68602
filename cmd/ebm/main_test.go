package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

var (
	runOnce sync.Once
	runDir  string
	runErr  error
	runLog  string
)

// trainedRun is a short `ebm train` (2 epochs on 640 images, a buffer of
// 200, 2 Langevin steps), shared by the tests of the commands that read a
// run. Its folder lives for the whole test binary.
func trainedRun(t *testing.T) string {
	data := dataDir(t)
	runOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ebm-cmd-test-")
		if err != nil {
			runErr = err
			return
		}
		runDir = filepath.Join(dir, "run")
		_, runLog, runErr = runCLI("train", "--data_dir", data, "--out_dir", runDir, "--epochs", "2", "--sample_every", "1",
			"--train_limit", "640", "--test_limit", "200", "--langevin_steps", "2", "--buffer_size", "200", "--log_file", "train.log")
	})
	require.NoError(t, runErr, runLog)
	return runDir
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
		{[]string{"trian"}, `unknown command "trian" (want train, sample, eval, inpaint, classifier, info, bench, export, import, serve)`},
		{[]string{"train", "--epochz", "3"}, "flag provided but not defined: -epochz"},
		{[]string{"train", "--data_dir", empty, "--epochs", "0", "--out_dir", out()}, "--epochs = 0"},
		{[]string{"train", "--data_dir", empty, "--langevin_steps", "-5", "--out_dir", out()}, "--langevin_steps = -5"},
		{[]string{"train", "--data_dir", empty, "--langevin_sigma", "-1", "--out_dir", out()}, "--langevin_sigma = -1"},
		{[]string{"train", "--data_dir", empty, "--batch_size", "x"}, "invalid value"},
		{[]string{"train", "--data_dir", empty, "--download=false", "--out_dir", out()}, empty + ": neither an image folder"},
		{[]string{"train", "--data_dir", filepath.Join(empty, "nope"), "--download=false", "--out_dir", out()}, "not a folder"},
		{[]string{"train", "--data_dir", corrupt, "--download=false", "--out_dir", out()}, "too short for a 3-dimensional header"},
		{[]string{"train", "--data_dir", empty, "--preset", "fast"}, `--preset "fast"`},
		{[]string{"train", "--data_dir", empty, "--ema_decay", "1", "--out_dir", out()}, "--ema_decay = 1"},
		{[]string{"train", "--data_dir", empty, "--ema", "0.9"}, "--ema is now --ema_decay"},
		{[]string{"train", "--data_dir", empty, "--out_dir", out(), "--resume"}, "no checkpoint to continue"},
		{[]string{"sample", "--checkpoint", notCkpt, "--out", filepath.Join(empty, "g.png")}, "not an ebm checkpoint"},
		{[]string{"sample", "--out", "g.png"}, "--checkpoint and --out are required"},
		{[]string{"sample", "--checkpoint", notCkpt, "--steps", "5"}, "--steps is now --langevin_steps"},
		{[]string{"bench", "--iters", "0"}, "--iters = 0"},
		{[]string{"eval", "--checkpoint", notCkpt}, "--out is required unless the checkpoint is a run folder's checkpoint.ebm"},
		{[]string{"eval", "--checkpoint", notCkpt, "--json", "e.json"}, "--json is now --out"},
		{[]string{"eval", "--checkpoint", notCkpt, "--out", filepath.Join(empty, "e.json")}, "not an ebm checkpoint"},
		{[]string{"inpaint", "--checkpoint", notCkpt, "--out", "x.png", "--inpaint_steps", "-1"}, "--inpaint_steps = -1"},
		{[]string{"classifier", "--data_dir", empty}, "neither an image folder"},
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

// -h prints the command's usage once; `ebm help` lists every command of
// the table.
func TestHelpPrintsTheUsageOnce(t *testing.T) {
	_, stderr, err := runCLI("train", "-h")
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Equal(t, 1, strings.Count(stderr, "usage: ebm train [flags]"))
	require.Contains(t, stderr, "  --class_cond\n")
	require.Contains(t, stderr, "  --ema_decay float\n")

	stdout, _, err := runCLI("help")
	require.NoError(t, err)
	for _, c := range commands {
		require.Contains(t, stdout, "ebm "+c.name)
		require.Contains(t, stdout, c.about)
	}
}

// The same thing has the same flag in every command that takes it.
func TestSharedFlagsHaveOneName(t *testing.T) {
	for _, name := range []string{"sample", "eval", "inpaint"} {
		_, stderr, err := runCLI(name, "-h")
		require.ErrorIs(t, err, flag.ErrHelp)
		for _, f := range []string{"--checkpoint", "--out", "--weights", "--langevin_alpha", "--langevin_sigma", "--seed", "--workers"} {
			require.Contains(t, stderr, "  "+f+" ", "%s has %s", name, f)
		}
	}
	for _, name := range []string{"sample", "eval"} {
		_, stderr, _ := runCLI(name, "-h")
		require.Contains(t, stderr, "  --samples int")
		require.Contains(t, stderr, "  --langevin_steps int")
	}
	for _, name := range []string{"eval", "inpaint"} {
		_, stderr, _ := runCLI(name, "-h")
		require.Contains(t, stderr, "  --inpaint_steps int")
		require.Contains(t, stderr, "  --test_limit int")
	}
}
