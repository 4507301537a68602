package main

import (
	"bufio"
	"encoding/json"
	"net/http"
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

// startServe runs `ebm serve args` as a child process and returns it with
// the URL it prints.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, *strings.Builder) {
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "EBM_TEST_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, stderr.String())
	url, ok := strings.CutPrefix(strings.Fields(line)[1], "http://")
	require.True(t, ok, line)
	return cmd, "http://" + strings.TrimSuffix(url, "/"), &stderr
}

// SIGTERM stops the server: a training it runs writes its checkpoint and
// the server exits 0.
func TestServeStopsATrainingCleanlyOnSIGTERM(t *testing.T) {
	data := dataDir(t)
	runs := t.TempDir()
	cmd, url, stderr := startServe(t, "--addr", "127.0.0.1:0", "--runs", runs, "--data_dir", data)
	body := `{"name": "long", "settings": {"epochs": "5", "train_limit": "6400", "test_limit": "200", "langevin_steps": "10", "buffer_size": "100", "hidden": "32"}}`
	res, err := http.Post(url+"/api/runs", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	require.Eventually(t, func() bool {
		res, err := http.Get(url + "/api/runs/long")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var r struct{ State string }
		return json.NewDecoder(res.Body).Decode(&r) == nil && r.State == "running"
	}, 30*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond) // a few steps into the epoch

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "exit status 0; stderr: %s", stderr)
	require.Contains(t, stderr.String(), "checkpoint")
	info, err := train.InspectRun(filepath.Join(runs, "long"))
	require.NoError(t, err)
	require.EqualValues(t, "interrupted", info.State)
}

// An address beyond loopback is served only when given, with a warning.
func TestServeWarnsBeyondLoopback(t *testing.T) {
	cmd, _, stderr := startServe(t, "--addr", "0.0.0.0:0", "--runs", t.TempDir(), "--data_dir", t.TempDir())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.Contains(t, stderr.String(), "warning: listening on")
	require.Contains(t, stderr.String(), "not loopback")
}
