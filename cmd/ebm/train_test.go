package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// A short `ebm train` writes every artifact of a run folder; a second plain
// run refuses the folder, and --resume keeps the recipe and may raise the
// epochs.
func TestTrainWritesEveryArtifact(t *testing.T) {
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--data_dir", data, "--out_dir", out, "--epochs", "2", "--sample_every", "1",
		"--train_limit", "640", "--test_limit", "200", "--langevin_steps", "2", "--buffer_size", "200", "--log_file", "train.log"}
	_, stderr, err := runCLI(args...)
	require.NoError(t, err, stderr)
	for _, f := range []string{"checkpoint.ebm", "metrics.jsonl", "config.json", "loss_curve.svg", "real.png",
		"samples_epoch001.png", "samples_epoch002.png", "samples_final.png", "train.log", "run.lock"} {
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
	median := m["chain_steps_median"].(float64)
	require.True(t, median > 0 && median <= 40 && int(median)%2 == 0, "chain_steps_median = %v", median)

	// config.json and the log's config line hold every setting under its flag's name.
	var config map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "config.json"))), &config))
	log := readFile(t, filepath.Join(out, "train.log"))
	_, help, _ := runCLI("train", "-h")
	for key := range config {
		require.Contains(t, help, "  --"+key, "config key %s is a flag", key)
		require.Contains(t, log, " "+key+"=", "config key %s is logged", key)
	}
	require.Len(t, config, len(train.Settings(&train.Recipe{}))+len(train.Settings(&train.Options{})), "one key per setting")
	for _, want := range []string{"msg=config", "msg=kernels", "msg=data", "msg=epoch", "val_acc=", "chain_steps_median=", "msg=done"} {
		require.Contains(t, log, want)
	}
	require.Contains(t, stderr, "it/s", "progress line")
	require.Contains(t, readFile(t, filepath.Join(out, "loss_curve.svg")), "<polyline")

	// A second plain run must not overwrite this checkpoint.
	before := readFile(t, filepath.Join(out, "checkpoint.ebm"))
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--epochs", "1", "--train_limit", "640")
	require.ErrorContains(t, err, "already holds a checkpoint")
	require.Equal(t, before, readFile(t, filepath.Join(out, "checkpoint.ebm")))

	// A resumed run keeps its recipe.
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--resume", "--lr", "0.5")
	require.ErrorContains(t, err, "--lr 0.5 differs from the checkpoint's 0.001")
	_, _, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--resume", "--preset", "original")
	require.ErrorContains(t, err, "--preset cannot be combined with --resume")

	// Resume with more epochs continues from epoch 3, on other options.
	_, stderr, err = runCLI("train", "--data_dir", data, "--out_dir", out, "--epochs", "3", "--resume", "--log_file", "train.log",
		"--workers", "1", "--buffer_size", "200")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "msg=resumed")
	lines = strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 3)
}

// startTraining runs `ebm train args` as a child process and returns once
// it reports progress, with a function that waits for its exit and returns
// its stderr.
func startTraining(t *testing.T, args ...string) (*exec.Cmd, func() (string, error)) {
	cmd := exec.Command(os.Args[0], append([]string{"train"}, args...)...)
	cmd.Env = append(os.Environ(), "EBM_TEST_MAIN=1")
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
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
	select {
	case <-training:
	case <-time.After(60 * time.Second):
		t.Fatal("no progress line within a minute")
	}
	return cmd, func() (string, error) {
		stderr := <-logged
		return stderr, cmd.Wait()
	}
}

// SIGTERM during training finishes the step, writes the checkpoint and
// exits non-zero; --resume then completes the run.
func TestSIGTERMCheckpointsAndResumes(t *testing.T) {
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--data_dir", data, "--out_dir", out, "--epochs", "2", "--train_limit", "3200",
		"--test_limit", "200", "--langevin_steps", "5", "--buffer_size", "500"}
	cmd, wait := startTraining(t, args...)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	stderr, err := wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, stderr)
	require.Equal(t, 130, exit.ExitCode())
	require.Contains(t, stderr, "interrupted: checkpoint saved")
	require.FileExists(t, filepath.Join(out, "checkpoint.ebm"))

	_, errOut, err := runCLI(append([]string{"train"}, append(args, "--resume")...)...)
	require.NoError(t, err, errOut)
	require.Contains(t, errOut, "msg=resumed")
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n")
	require.Len(t, lines, 2)
}

// While one process trains in a run folder, a second `ebm train` on it is
// refused with one line naming the folder and the process; once the first
// is killed (no chance to clean up), the folder is free again.
func TestSecondProcessOnARunFolderIsRefused(t *testing.T) {
	data := dataDir(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--data_dir", data, "--out_dir", out, "--epochs", "1", "--train_limit", "6400",
		"--test_limit", "200", "--langevin_steps", "20", "--buffer_size", "500"}
	first, wait := startTraining(t, args...)

	for _, second := range [][]string{args, append(args, "--resume")} {
		_, _, err := runCLI(append([]string{"train"}, second...)...)
		require.Error(t, err)
		require.Contains(t, oneLine(err), fmt.Sprintf("run folder %s is in use by process %d", out, first.Process.Pid))
	}

	require.NoError(t, first.Process.Kill())
	_, err := wait()
	require.Error(t, err, "killed")
	_, stderr, err := runCLI(append([]string{"train"}, append(args[:len(args)-8], "--train_limit", "640", "--langevin_steps", "2")...)...)
	require.NoError(t, err, stderr)
	require.FileExists(t, filepath.Join(out, "checkpoint.ebm"))
}
