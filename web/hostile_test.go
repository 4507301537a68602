package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebm-project/ebm/run"
	"github.com/stretchr/testify/require"
)

// serve sends one request through the server's guard and routes.
func serve(s *Server, method, host, path string, header map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://"+host+path, strings.NewReader(body))
	r.Host = host
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// On any address, loopback or not, a name the user did not allow is
// refused, even with an Origin to match: a page on evil.example whose name
// is pointed at this machine (DNS rebinding) cannot start a training. IP
// addresses still reach it.
func TestForeignHostIsRefusedOnEveryAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", "[::]:8080", "192.0.2.1:8080", "127.0.0.1:8080"} {
		s := New(Config{Runs: t.TempDir(), Addr: addr})
		defer s.Close()
		w := serve(s, "POST", "evil.example:8080", "/api/runs", map[string]string{"Origin": "http://evil.example:8080", "Sec-Fetch-Site": "same-origin"}, `{"name":"x"}`)
		require.Equal(t, http.StatusForbidden, w.Code, addr)
		require.Contains(t, w.Body.String(), "--allowed_hosts", addr)
		w = serve(s, "POST", "192.0.2.1:8080", "/api/runs", map[string]string{"Origin": "http://192.0.2.1:8080"}, `{"name":"x"}`)
		require.NotEqual(t, http.StatusForbidden, w.Code, "%s: an IP address as Host passes the guard", addr)
	}
}

// Pages may not be framed by another site, and another site's page may not
// use the API at all, GETs included (they make the server compute):
// cross-site and same-site (another port of localhost) are refused; the
// page's own requests, typed addresses and programs are not; a link from
// elsewhere to the page itself still opens it.
func TestFramingAndCrossSiteAPIRequestsAreRefused(t *testing.T) {
	s := New(Config{Runs: t.TempDir(), Addr: "127.0.0.1:8080"})
	defer s.Close()
	w := serve(s, "GET", "127.0.0.1:8080", "/", nil, "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "frame-ancestors 'none'", w.Header().Get("Content-Security-Policy"))
	require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
	for site, want := range map[string]int{"cross-site": 403, "same-site": 403, "same-origin": 200, "none": 200, "": 200} {
		w := serve(s, "GET", "127.0.0.1:8080", "/api/runs", map[string]string{"Sec-Fetch-Site": site}, "")
		require.Equal(t, want, w.Code, "Sec-Fetch-Site %q", site)
	}
	w = serve(s, "GET", "127.0.0.1:8080", "/api/runs", map[string]string{"Origin": "http://localhost:3000"}, "")
	require.Equal(t, http.StatusForbidden, w.Code, "another origin's fetch")
	w = serve(s, "GET", "127.0.0.1:8080", "/", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, "")
	require.Equal(t, http.StatusOK, w.Code, "a link to the page")
	// Deleting a run, downloading a checkpoint, timing a recipe: none from another site.
	for _, q := range [][2]string{{"DELETE", "/api/runs/x"}, {"GET", "/api/runs/x/checkpoint"}, {"POST", "/api/estimate"}} {
		w = serve(s, q[0], "127.0.0.1:8080", q[1], map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, `{"confirm":"x"}`)
		require.Equal(t, http.StatusForbidden, w.Code, "%s %s", q[0], q[1])
	}
}

// A body's keys are the fields' names exactly (encoding/json alone matches
// them case-insensitively), and nothing may follow the object.
func TestRequestBodiesAreExactJSON(t *testing.T) {
	s := New(Config{Runs: t.TempDir()})
	defer s.Close()
	px, _ := json.Marshal(blank())
	for body, want := range map[string]string{
		`{"Pixels": ` + string(px) + `}`:      `unknown field \"Pixels\"`,
		`{"pixels": ` + string(px) + `} {}`:   "after the JSON object",
		`{"pixels": ` + string(px) + `} junk`: "after the JSON object",
		`{"pixels": [1,2]`:                    "request body",
	} {
		w := serve(s, "POST", "127.0.0.1:8080", "/api/runs/tiny/predict", nil, body)
		require.Equal(t, http.StatusBadRequest, w.Code, body[:12])
		require.Contains(t, w.Body.String(), want)
	}
}

// brokenRun makes a run folder whose checkpoint is garbage of the given size.
func brokenRun(t *testing.T, runs, name string, size int) {
	dir := filepath.Join(runs, name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "checkpoint.ebm"), bytes.Repeat([]byte("x"), size), 0o644))
}

// With the evaluation slot taken, a burst of 30 evaluations is refused
// before any loads its checkpoint (a refused request costs nothing): all
// get 429, none the 409 that reading the broken checkpoint would give.
// Errors name paths relative to --runs.
func TestEvaluationBurstIsRefusedBeforeLoading(t *testing.T) {
	runs := t.TempDir()
	brokenRun(t, runs, "broken", 1<<20)
	s, ts := newTestServer(t, runs)
	s.evals <- struct{}{}
	var wg sync.WaitGroup
	codes := make([]int, 30)
	for i := range codes {
		wg.Go(func() {
			res, err := http.Post(ts.URL+"/api/runs/broken/evaluate", "application/json", strings.NewReader(`{}`))
			if err == nil {
				codes[i] = res.StatusCode
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, http.StatusTooManyRequests, c, "request %d", i)
	}
	<-s.evals
	var e apiError
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs/broken/evaluate", evaluateRequest{}, &e))
	require.Contains(t, e.Error, "broken/checkpoint.ebm")
	require.NotContains(t, e.Error, runs, "an absolute server path")
}

// A run whose checkpoint cannot be read is listed as corrupt with the
// reason, shown alone, and neither resumed nor started over.
func TestCorruptRunIsListedWithItsReason(t *testing.T) {
	runs := t.TempDir()
	brokenRun(t, runs, "broken", 100)
	_, ts := newTestServer(t, runs)
	var list []runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs", &list))
	require.Len(t, list, 1)
	require.Equal(t, run.Corrupt, list[0].State)
	require.Contains(t, list[0].Error, "checkpoint.ebm")
	var one runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/broken", &one))
	require.Equal(t, run.Corrupt, one.State)
	var e apiError
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs/broken/resume", resumeRequest{}, &e))
	require.Contains(t, e.Error, "cannot be read")
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs", startRequest{Name: "broken"}, &e))
	require.Contains(t, e.Error, "choose another name")
	require.NotContains(t, e.Error, "--resume", "the page has no such flag")
	require.NotContains(t, e.Error, runs)
}

// What would fail after a 202 is refused before it: resuming a run with no
// checkpoint, a batch larger than the training images kept, and every bad
// field of the form at once, each by its field.
func TestRequestsThatWouldFailAreRefusedFirst(t *testing.T) {
	runs := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(runs, "nockpt"), 0o755))
	s := New(Config{Runs: runs, DataDir: t.TempDir()})
	ts := httptest.NewServer(s)
	defer func() { s.Close(); ts.Close() }()
	var e apiError
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/runs/nockpt/resume", resumeRequest{}, &e))
	require.Contains(t, e.Error, "no checkpoint to resume")

	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/runs", startRequest{Name: "new", Settings: map[string]string{"batch_size": "128", "train_limit": "64"}}, &e))
	require.Equal(t, "batch_size", e.Field)

	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/runs", startRequest{Name: "new",
		Settings: map[string]string{"sample_every": "-1", "lr": "0", "langevin_steps": "x"}}, &e))
	var fields []string
	for _, f := range e.Errors {
		fields = append(fields, f.Field)
	}
	require.ElementsMatch(t, []string{"langevin_steps", "lr", "sample_every"}, fields, "every bad field, once: %+v", e.Errors)
	_, err := os.Stat(filepath.Join(runs, "new"))
	require.ErrorIs(t, err, os.ErrNotExist, "a refused run leaves no folder")
}

// Four clients that start dreams and never read hold the dream slots only
// until their streams time out: a fresh dream is served soon after.
func TestStalledClientsLoseTheirDreamSlots(t *testing.T) {
	runs := fixture(t)
	s := New(Config{Runs: runs, DataDir: os.Getenv("EBM_DATA"), StreamTimeout: time.Second})
	ts := httptest.NewServer(s)
	defer func() { s.Close(); ts.Close() }()
	body, _ := json.Marshal(dreamRequest{Chains: MaxChains, Steps: MaxSteps, Frames: MaxFrames, Seed: 1})
	host := strings.TrimPrefix(ts.URL, "http://")
	for range MaxDreams {
		c, err := net.Dial("tcp", host)
		require.NoError(t, err)
		defer c.Close()
		fmt.Fprintf(c, "POST /api/runs/tiny/dream HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body)
	}
	require.Eventually(t, func() bool { return len(s.dreams) == MaxDreams }, 10*time.Second, 10*time.Millisecond, "the stalled dreams run")
	start := time.Now()
	for {
		res, err := http.Post(ts.URL+"/api/runs/tiny/dream", "application/json", strings.NewReader(`{"chains": 1, "langevin_steps": 2, "frames": 1}`))
		require.NoError(t, err)
		out := lines(t, res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			require.Equal(t, true, out[len(out)-1]["done"])
			t.Logf("a fresh dream served %.1f s after 4 stalled clients took every slot", time.Since(start).Seconds())
			return
		}
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		require.Less(t, time.Since(start), 30*time.Second, "the stalled clients still hold every slot")
		time.Sleep(200 * time.Millisecond)
	}
}
