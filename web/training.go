package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// trainings runs one training at a time and tells every watching page
// how it goes.
type trainings struct {
	s    *Server
	mu   sync.Mutex
	run  *liveRun // the current or last training started here
	subs map[chan []byte]bool
	wg   sync.WaitGroup
}

// liveRun is what the Training view shows; a page that connects (or
// reconnects) gets it whole, then the events that change it.
type liveRun struct {
	Name      string               `json:"name"`
	State     run.State            `json:"state"` // running, stopping, finished, interrupted, failed
	Epoch     int                  `json:"epoch"`
	Epochs    int                  `json:"epochs"`
	Batch     int                  `json:"batch"`
	Batches   int                  `json:"batches"`
	Step      uint64               `json:"step"`
	ItPerSec  float64              `json:"it_per_s"`
	ETA       float64              `json:"eta_seconds"`
	Points    []run.Point          `json:"points"` // since this server started it; the earlier ones are in the run's history
	History   []train.EpochMetrics `json:"history"`
	Rollbacks []run.Mark           `json:"rollbacks"`
	Samples   string               `json:"samples,omitempty"` // data: URI of a PNG of 64 replay-buffer slots
	Error     string               `json:"error,omitempty"`

	cancel      context.CancelFunc
	done        chan struct{}
	lastReport  time.Time
	stepsSince  int
	lastSamples time.Time
}

const (
	reportEvery   = 250 * time.Millisecond // progress events
	samplesEvery  = 2 * time.Second        // replay-buffer pictures
	subscriberBuf = 256                    // events a slow page may lag before it is dropped (it reconnects)
)

func newTrainings(s *Server) *trainings { return &trainings{s: s, subs: map[chan []byte]bool{}} }

// launch starts job unless a training runs already, here or in another
// process on the same folder.
func (t *trainings) launch(w http.ResponseWriter, name string, job train.Job, epochs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.run != nil && (t.run.State == run.Running || t.run.State == run.Stopping) {
		t.s.fail(w, http.StatusConflict, fmt.Errorf("a training is running (%s): one at a time; stop it first", t.run.Name))
		return
	}
	if info, err := train.InspectRun(job.Options.OutDir); err == nil && info.State == run.Running {
		t.s.fail(w, http.StatusConflict, fmt.Errorf("run %q is being trained by another process", name))
		return
	}
	ctx, cancel := context.WithCancel(t.s.ctx)
	live := &liveRun{Name: name, State: run.Running, Epoch: 1, Epochs: epochs, Points: []run.Point{}, History: []train.EpochMetrics{}, Rollbacks: []run.Mark{},
		cancel: cancel, done: make(chan struct{}), lastReport: time.Now()}
	job.Hooks = train.Hooks{Step: t.onStep(live), Point: t.onPoint(live), EpochEnd: t.onEpoch(live, job.Options.OutDir), Rollback: t.onRollback(live)}
	t.run = live
	t.broadcastLocked("state", live)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer close(live.done)
		err := train.Execute(ctx, job)
		t.mu.Lock()
		defer t.mu.Unlock()
		switch {
		case err == nil:
			live.State = run.Finished
		case errors.Is(err, train.ErrInterrupted):
			live.State = run.Interrupted
		default:
			live.State, live.Error = run.Failed, err.Error()
		}
		live.ItPerSec, live.ETA = 0, 0
		t.broadcastLocked("state", live)
	}()
	writeJSON(w, http.StatusAccepted, map[string]any{"name": name, "state": run.Running})
}

func (t *trainings) stop(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.run == nil || t.run.Name != name || t.run.State != run.Running {
		t.s.fail(w, http.StatusConflict, fmt.Errorf("run %q is not being trained by this server", name))
		return
	}
	t.run.State = run.Stopping
	t.run.cancel() // the step finishes, the checkpoint is written, as on Ctrl-C
	t.broadcastLocked("state", t.run)
	writeJSON(w, http.StatusAccepted, map[string]any{"name": name, "state": run.Stopping})
}

// busyWith says why run name may not be changed now: this server trains it.
func (t *trainings) busyWith(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.run != nil && t.run.Name == name && (t.run.State == run.Running || t.run.State == run.Stopping) {
		return fmt.Errorf("run %q is being trained: stop it first", name)
	}
	return nil
}

// wait returns once no training runs.
func (t *trainings) wait() { t.wg.Wait() }

// onStep sends, now and then, the progress and a picture of the replay
// buffer. It runs on the training goroutine, between steps.
func (t *trainings) onStep(live *liveRun) func(*train.Trainer, train.StepStats) {
	return func(tr *train.Trainer, _ train.StepStats) {
		t.mu.Lock()
		defer t.mu.Unlock()
		p := tr.Progress
		live.Epoch, live.Epochs, live.Batch, live.Step = p.Epoch, tr.Recipe.Epochs, p.Batch+1, p.Step
		live.Batches = tr.Train.N / tr.Recipe.BatchSize
		live.stepsSince++
		now := time.Now()
		if el := now.Sub(live.lastReport); el >= reportEvery {
			live.ItPerSec = float64(live.stepsSince) / el.Seconds()
			left := (live.Epochs-live.Epoch)*live.Batches + live.Batches - live.Batch
			live.ETA = float64(left) / max(live.ItPerSec, 1e-9)
			live.lastReport, live.stepsSince = now, 0
			t.broadcastLocked("progress", map[string]any{"epoch": live.Epoch, "epochs": live.Epochs, "batch": live.Batch,
				"batches": live.Batches, "step": live.Step, "it_per_s": live.ItPerSec, "eta_seconds": live.ETA})
		}
		if tr.Buffer != nil && now.Sub(live.lastSamples) >= samplesEvery {
			live.lastSamples = now
			if uri, err := bufferPicture(tr); err == nil {
				live.Samples = uri
				t.broadcastLocked("samples", map[string]string{"samples": uri})
			}
		}
	}
}

// onPoint sends each point of the run's curves as the run records it.
func (t *trainings) onPoint(live *liveRun) func(*train.Trainer, run.Point) {
	return func(_ *train.Trainer, p run.Point) {
		t.mu.Lock()
		defer t.mu.Unlock()
		live.Points = append(live.Points, p)
		t.broadcastLocked("point", p)
	}
}

// bufferPicture is a PNG of 64 evenly spaced replay-buffer slots.
func bufferPicture(tr *train.Trainer) (string, error) {
	b, dim := tr.Buffer, tr.Train.Dim()
	n := min(train.GridSize, b.Size())
	x := make([]float32, n*dim)
	for i := range n {
		k := i * b.Size() / n
		copy(x[i*dim:], b.Data[k*dim:(k+1)*dim])
	}
	png, err := train.GridPNG(x, n, tr.Train.Shape(), 8)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}

// onEpoch adds the epoch's metrics; a run without a buffer shows the grid
// of fresh chains the epoch wrote, if it wrote one.
func (t *trainings) onEpoch(live *liveRun, dir string) func(*train.Trainer, train.EpochMetrics) error {
	return func(tr *train.Trainer, m train.EpochMetrics) error {
		t.mu.Lock()
		defer t.mu.Unlock()
		live.History = append(live.History, m)
		t.broadcastLocked("epoch", m)
		if tr.Buffer != nil {
			return nil
		}
		if b, err := os.ReadFile(run.Dir(dir).SampleGrid(m.Epoch, tr.Recipe.Epochs)); err == nil {
			live.Samples = "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
			t.broadcastLocked("samples", map[string]string{"samples": live.Samples})
		}
		return nil
	}
}

func (t *trainings) onRollback(live *liveRun) func(*train.Trainer, *train.Diverged) {
	return func(tr *train.Trainer, d *train.Diverged) {
		t.mu.Lock()
		defer t.mu.Unlock()
		mark := run.Mark{Kind: run.MarkRollback, Step: tr.Progress.Step, Epoch: tr.Progress.Epoch, Reason: d.Reason, Time: time.Now().UTC()}
		live.Rollbacks = append(live.Rollbacks, mark)
		// The curves go back with the run: points past the step it
		// returned to are of steps undone.
		live.Points = slices.DeleteFunc(live.Points, func(p run.Point) bool { return p.Step > mark.Step })
		t.broadcastLocked("state", live)
	}
}

// events streams the Training view: the whole state, then what changes.
func (t *trainings) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	timeout := t.s.streamTimeout()
	send := func(msg []byte) bool {
		return writeBefore(rc, time.Now().Add(timeout), func() error { _, err := w.Write(msg); return err })
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	ch := make(chan []byte, subscriberBuf)
	t.mu.Lock()
	var first []byte
	if t.run != nil {
		first = event("state", t.run)
	} else {
		first = event("state", map[string]string{"state": "none"})
	}
	t.subs[ch] = true
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.subs[ch] {
			delete(t.subs, ch)
		}
		t.mu.Unlock()
	}()
	if !send(first) {
		return
	}
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				return // too slow: dropped; the page reconnects and gets the state
			}
			if !send(msg) {
				return // stopped reading: cut
			}
		case <-r.Context().Done():
			return
		case <-t.s.ctx.Done():
			return
		}
	}
}

// broadcastLocked sends an event to every page; t.mu is held.
func (t *trainings) broadcastLocked(name string, v any) {
	msg := event(name, v)
	for ch := range t.subs {
		select {
		case ch <- msg:
		default:
			close(ch)
			delete(t.subs, ch)
		}
	}
}

// event formats one server-sent event.
func event(name string, v any) []byte {
	js, err := json.Marshal(v)
	if err != nil {
		js, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return []byte("event: " + name + "\ndata: " + string(js) + "\n\n")
}
