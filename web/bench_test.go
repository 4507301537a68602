package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

// benchRuns is a runs folder with one untrained model of the default size
// (784-512-512-512-10): the cost of a prediction or a dream step does not
// depend on the weights' values.
func benchRuns(b *testing.B) string {
	runs := b.TempDir()
	d := &mnist.Dataset{N: 64, Rows: mnist.Side, Cols: mnist.Side, Pixels: make([]uint8, 64*mnist.Pixels), Labels: make([]uint8, 64)}
	tr, err := train.NewTrainer(train.DefaultRecipe(), 0, d, d, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	if err := os.Mkdir(filepath.Join(runs, "default"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := train.SaveCheckpoint(filepath.Join(runs, "default", "checkpoint.ebm"), tr); err != nil {
		b.Fatal(err)
	}
	return runs
}

// BenchmarkPredict times what the page waits for while a digit is drawn:
// one POST of a drawing over loopback HTTP and its answer. It reports the
// median as well as the mean.
func BenchmarkPredict(b *testing.B) {
	ts := httptest.NewServer(New(Config{Runs: benchRuns(b)}))
	defer ts.Close()
	x := blank()
	for i := 300; i < 500; i++ {
		x[i] = 1
	}
	body, _ := json.Marshal(predictRequest{Pixels: x})
	call := func() {
		res, err := http.Post(ts.URL+"/api/runs/default/predict", "application/json", strings.NewReader(string(body)))
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(err, res.Status)
		}
		var p prediction
		json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
	}
	call() // load the model
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		call()
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkDream64 streams 64 chains from noise one Langevin step a frame,
// unpaced, and reports the frames a second the page receives.
func BenchmarkDream64(b *testing.B) {
	ts := httptest.NewServer(New(Config{Runs: benchRuns(b)}))
	defer ts.Close()
	const frames = 200
	body, _ := json.Marshal(dreamRequest{Chains: 64, Steps: frames, Frames: frames, Seed: 1})
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := http.Post(ts.URL+"/api/runs/default/dream", "application/json", strings.NewReader(string(body)))
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(err, res.Status)
		}
		dec := json.NewDecoder(res.Body)
		n := 0
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				b.Fatal(err)
			}
			n++
		}
		res.Body.Close()
		if n != frames+3 {
			b.Fatalf("%d lines, want %d", n, frames+3)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(b.N*(frames+1))/total.Seconds(), "frames/s")
}
