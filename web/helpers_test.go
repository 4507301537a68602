package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// tinyRun is the recipe of the runs the tests train: one hidden layer of
// 32, 640 images, 2 Langevin steps a draw.
var tinyRun = map[string]string{"epochs": "1", "train_limit": "640", "test_limit": "200", "langevin_steps": "2",
	"buffer_size": "100", "hidden": "32"}

// trainedRuns is a runs folder holding one finished tiny run, name, trained
// once per test binary with tinyRun's settings and extra on top.
type trainedRuns struct {
	once sync.Once
	dir  string
	err  error
}

func (r *trainedRuns) get(t *testing.T, name string, extra map[string]string) string {
	data := os.Getenv(mnist.EnvVar)
	if data == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	r.once.Do(func() {
		if r.dir, r.err = os.MkdirTemp("", "ebm-web-test-"); r.err != nil {
			return
		}
		given := map[string]string{}
		for _, m := range []map[string]string{tinyRun, extra} {
			for k, v := range m {
				given[k] = v
			}
		}
		o := train.DefaultOptions()
		o.DataDir, o.OutDir = data, filepath.Join(r.dir, name)
		r.err = train.Execute(context.Background(), train.Job{Given: given, Options: o})
	})
	require.NoError(t, r.err)
	return r.dir
}

var mlpRuns, convRuns, gaussRuns trainedRuns

// fixture is a runs folder holding one finished tiny run, "tiny", shared
// by the tests that only read it.
func fixture(t *testing.T) string { return mlpRuns.get(t, "tiny", nil) }

// convFixture is the same for a convolutional network, "tinyconv".
func convFixture(t *testing.T) string {
	return convRuns.get(t, "tinyconv", map[string]string{"convs": "8c4s2p1,16c4s2p1"})
}

// newTestServer serves runs (a folder) over httptest; it closes with the test.
func newTestServer(t *testing.T, runs string) (*Server, *httptest.Server) {
	s := New(Config{Runs: runs, DataDir: os.Getenv(mnist.EnvVar)})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts
}

// post sends a JSON body and decodes a JSON answer into out (if not nil).
func post(t *testing.T, url string, body any, out any) int {
	js, err := json.Marshal(body)
	require.NoError(t, err)
	res, err := http.Post(url, "application/json", strings.NewReader(string(js)))
	require.NoError(t, err)
	defer res.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

func get(t *testing.T, url string, out any) int {
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

// lines reads newline-separated JSON objects until EOF.
func lines(t *testing.T, r io.Reader) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return out
}

// blank is an all-background image: -1 everywhere.
func blank() []float32 {
	x := make([]float32, mnist.Pixels)
	for i := range x {
		x[i] = -1
	}
	return x
}
