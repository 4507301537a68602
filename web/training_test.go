package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebm-project/ebm/run"
	"github.com/stretchr/testify/require"
)

// sse follows /api/training and hands each event to the returned channel.
func sse(t *testing.T, url string) <-chan [2]string {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/training", nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	out := make(chan [2]string, 4096)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				select {
				case out <- [2]string{name, v}:
				default:
				}
			}
		}
	}()
	return out
}

// waitState reads events until a state event with want, or fails after a
// minute; it returns that state and the names of the events seen.
func waitState(t *testing.T, events <-chan [2]string, want string) (liveRun, map[string]int) {
	seen := map[string]int{}
	deadline := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			seen[ev[0]]++
			if ev[0] == "state" {
				var s liveRun
				require.NoError(t, json.Unmarshal([]byte(ev[1]), &s))
				if string(s.State) == want {
					return s, seen
				}
			}
		case <-deadline:
			t.Fatalf("no state %q within a minute (events: %v)", want, seen)
		}
	}
}

func settingsOf(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tinyRun {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// The new-run form is checked as ebm train checks its flags, and a bad
// setting is named so that the page can show the error next to it.
func TestStartRefusesBadSettingsByName(t *testing.T) {
	fixture(t)
	_, ts := newTestServer(t, t.TempDir())
	for name, c := range map[string]struct {
		req   startRequest
		field string
	}{
		"epochs 0":     {startRequest{Name: "a", Settings: map[string]string{"epochs": "0"}}, "epochs"},
		"lr text":      {startRequest{Name: "a", Settings: map[string]string{"lr": "fast"}}, "lr"},
		"unknown":      {startRequest{Name: "a", Settings: map[string]string{"nope": "1"}}, "nope"},
		"preset":       {startRequest{Name: "a", Preset: "fast"}, "preset"},
		"gen_weight":   {startRequest{Name: "a", Settings: map[string]string{"gen_weight": "-1"}}, "gen_weight"},
		"sample_every": {startRequest{Name: "a", Settings: map[string]string{"sample_every": "0"}}, "sample_every"},
		"bad name":     {startRequest{Name: "../a"}, ""},
		"empty name":   {startRequest{Name: ""}, ""},
	} {
		var e apiError
		require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/runs", c.req, &e), name)
		require.Equal(t, c.field, e.Field, name)
		require.NotEmpty(t, e.Error, name)
	}
}

// A training started from the page runs to the end while the page watches
// its events; one runs at a time; a finished run can be resumed for more
// epochs; only a running run can be stopped.
func TestTrainingFromThePage(t *testing.T) {
	fixture(t)
	runs := t.TempDir()
	_, ts := newTestServer(t, runs)
	events := sse(t, ts.URL)
	first := <-events
	require.Equal(t, "state", first[0])
	require.JSONEq(t, `{"state":"none"}`, first[1])

	// Concurrent starts: exactly one wins.
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := post(t, ts.URL+"/api/runs", startRequest{Name: "run" + string(rune('a'+i)), Settings: settingsOf(nil)}, nil)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Equal(t, map[int]int{http.StatusAccepted: 1, http.StatusConflict: 4}, codes)

	done, seen := waitState(t, events, "finished")
	require.Positive(t, seen["point"]+seen["progress"], "live progress: %v", seen)
	require.Equal(t, 1, seen["epoch"])
	require.Len(t, done.History, 1)
	require.NotEmpty(t, done.Points)
	require.NotEmpty(t, done.Samples, "the replay buffer's picture")
	name := done.Name
	require.FileExists(t, filepath.Join(runs, name, "checkpoint.ebm"))

	var e apiError
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs/"+name+"/stop", map[string]any{}, &e))
	require.Contains(t, e.Error, "not being trained")
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs", startRequest{Name: name, Settings: settingsOf(nil)}, &e))
	require.Contains(t, e.Error, "exists")

	require.Equal(t, http.StatusAccepted, post(t, ts.URL+"/api/runs/"+name+"/resume", resumeRequest{Epochs: 2}, nil))
	done, _ = waitState(t, events, "finished")
	require.Len(t, done.History, 1, "the resumed attempt's own epochs")
	var info runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/"+name, &info))
	require.Equal(t, 2, info.Epoch)
	require.Equal(t, "finished", string(info.State))
}

// Stop finishes the step, writes the checkpoint and leaves the run
// interrupted, as Ctrl-C does; Close (the server's SIGTERM) does the same.
func TestStopAndCloseCheckpointTheRun(t *testing.T) {
	fixture(t)
	runs := t.TempDir()
	s, ts := newTestServer(t, runs)
	events := sse(t, ts.URL)
	long := settingsOf(map[string]string{"epochs": "5", "train_limit": "6400", "langevin_steps": "10"})
	require.Equal(t, http.StatusAccepted, post(t, ts.URL+"/api/runs", startRequest{Name: "long", Settings: long}, nil))
	for ev := range events {
		if ev[0] == "progress" {
			break
		}
	}
	require.Equal(t, http.StatusAccepted, post(t, ts.URL+"/api/runs/long/stop", map[string]any{}, nil))
	waitState(t, events, "interrupted")
	require.FileExists(t, filepath.Join(runs, "long", "checkpoint.ebm"))

	require.Equal(t, http.StatusAccepted, post(t, ts.URL+"/api/runs/long/resume", map[string]any{}, nil))
	for ev := range events {
		if ev[0] == "progress" {
			break
		}
	}
	before, err := os.Stat(filepath.Join(runs, "long", "checkpoint.ebm"))
	require.NoError(t, err)
	s.Close() // returns once the checkpoint is written
	after, err := os.Stat(filepath.Join(runs, "long", "checkpoint.ebm"))
	require.NoError(t, err)
	require.True(t, after.ModTime().After(before.ModTime()), "Close wrote a new checkpoint")
	require.Equal(t, run.Interrupted, s.training.run.State)
}

// A run that keeps diverging shows each rollback (the page marks them on
// the curves) and ends failed with the reason.
func TestRollbacksReachThePage(t *testing.T) {
	fixture(t)
	_, ts := newTestServer(t, t.TempDir())
	events := sse(t, ts.URL)
	diverging := settingsOf(map[string]string{"guard_energy": "1e-9", "max_rollbacks": "2"})
	require.Equal(t, http.StatusAccepted, post(t, ts.URL+"/api/runs", startRequest{Name: "unstable", Settings: diverging}, nil))
	end, _ := waitState(t, events, "failed")
	require.Len(t, end.Rollbacks, 2)
	require.Contains(t, end.Rollbacks[0].Reason, "--guard_energy")
	require.Contains(t, end.Error, "giving up after 2 rollbacks")
}
