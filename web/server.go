// Package web is `ebm serve`: the notebook of the original project as a
// local web app. One page (static/, embedded) over the run folders under
// one root: list runs and start, stop or resume a training; watch it live;
// explore a trained model (draw a digit, dream, inpaint); evaluate it.
//
// The handlers are thin: training is train.Execute, sampling is a
// langevin.Sampler on jem.Energy, evaluation is eval.Evaluate. Live
// updates are server-sent events; a browser that reconnects gets the
// current state first.
package web

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

//go:embed static
var static embed.FS

// Config is what a server serves.
type Config struct {
	Runs    string // the folder holding the run folders
	DataDir string // the data set (mnist.Open), whose runs the server shows
	// Addr is the address the server listens on; requests must give its
	// port, and as their Host an IP address, localhost or one of
	// AllowedHosts: a page on another site cannot reach the server through
	// a name of its own (DNS rebinding), whatever the address.
	Addr string
	// AllowedHosts are the names, besides localhost and IP addresses, that
	// requests may give as their Host (lower case, no port).
	AllowedHosts []string
	// StreamTimeout is how long a stream may wait for its client to take
	// one message before the client is cut and its slot freed (0: 5 s).
	StreamTimeout time.Duration
}

// Server is the web app. Close stops a training it runs and waits for its
// checkpoint.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	ctx    context.Context // done when the server closes: streams end
	cancel context.CancelFunc

	training  *trainings
	models    *models
	dreams    chan struct{} // a slot per concurrent dream or inpainting
	evals     chan struct{} // a slot per concurrent evaluation
	estimates chan struct{} // a slot per concurrent time estimate
	starts    startLaws

	paths *strings.Replacer // see scrub

	dataOnce sync.Once
	data     *datasets
	dataErr  error
}

// Limits on concurrent work: many open tabs cannot start unbounded work.
const (
	MaxDreams      = 4 // dreams and inpaintings streaming at once
	MaxEvaluations = 1
)

// New builds the server.
func New(cfg Config) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, mux: http.NewServeMux(), ctx: ctx, cancel: cancel,
		dreams: make(chan struct{}, MaxDreams), evals: make(chan struct{}, MaxEvaluations), estimates: make(chan struct{}, 1), paths: pathScrubber(cfg)}
	s.training = newTrainings(s)
	s.models = newModels(s)
	sub, _ := fs.Sub(static, "static")
	s.mux.Handle("GET /", http.FileServerFS(sub))
	s.mux.HandleFunc("GET /api/settings", s.settings)
	s.mux.HandleFunc("GET /api/runs", s.listRuns)
	s.mux.HandleFunc("POST /api/runs", s.training.start)
	s.mux.HandleFunc("POST /api/estimate", s.estimate)
	s.mux.HandleFunc("GET /api/runs/{name}", s.showRun)
	s.mux.HandleFunc("GET /api/runs/{name}/files/{file}", s.runFile)
	s.mux.HandleFunc("GET /api/runs/{name}/history", s.history)
	s.mux.HandleFunc("GET /api/runs/{name}/evaluations/{id}/{file}", s.evaluationFile)
	s.mux.HandleFunc("GET /api/runs/{name}/checkpoint", s.checkpoint)
	s.mux.HandleFunc("DELETE /api/runs/{name}", s.deleteRun)
	s.mux.HandleFunc("POST /api/runs/{name}/resume", s.training.resume)
	s.mux.HandleFunc("POST /api/runs/{name}/stop", s.training.stop)
	s.mux.HandleFunc("GET /api/training", s.training.events)
	s.mux.HandleFunc("GET /api/runs/{name}/model", s.models.describe)
	s.mux.HandleFunc("POST /api/runs/{name}/predict", s.models.predict)
	s.mux.HandleFunc("POST /api/runs/{name}/dream", s.dream)
	s.mux.HandleFunc("POST /api/runs/{name}/evaluate", s.evaluate)
	s.mux.HandleFunc("GET /api/digits/{index}", s.digit)
	return s
}

// ServeHTTP guards every request (see guard.go), then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.guard(s.mux).ServeHTTP(w, r) }

// Close ends the streams and stops a training the server runs, returning
// once its checkpoint is written.
func (s *Server) Close() {
	s.cancel()
	s.training.wait()
}

// datasets are the images the pages show and score against: the server's
// data set and its out-of-distribution neighbours (mnist.Data.Neighbours).
type datasets struct {
	*mnist.Data
	ood []eval.OODSet
}

// loadData reads the data set once, on first use.
func (s *Server) loadData() (*datasets, error) {
	s.dataOnce.Do(func() {
		d, err := mnist.Open(s.cfg.DataDir, false)
		if err != nil {
			s.dataErr = err
			return
		}
		s.data = &datasets{Data: d}
		for _, dir := range d.Neighbours() {
			if o, err := mnist.Open(dir, false); err == nil {
				s.data.ood = append(s.data.ood, eval.OODSet{Name: o.Name, Test: o.Test})
			}
		}
	})
	return s.data, s.dataErr
}

// CheckData reads the data set, saying why it cannot be read: `ebm serve`
// says so at its start, not at the first request.
func (s *Server) CheckData() error {
	if s.cfg.DataDir == "" {
		return fmt.Errorf("no --data_dir")
	}
	_, err := s.loadData()
	return err
}

// fits refuses a model of other images or classes than the server's data
// set: its pictures, energies and scores would mean nothing.
func (d *datasets) fits(name string, ck *train.Checkpoint) error {
	if ck.Shape() != d.Shape() || !slices.Equal(ck.Classes, d.Classes()) {
		return errOtherData{fmt.Errorf("run %q is a model of %v images in %d classes (%s); this server's data set %s has %v images in %d (%s): serve its runs with --data_dir set to its own data",
			name, ck.Shape(), len(ck.Classes), strings.Join(ck.Classes, ", "), d.Name, d.Shape(), len(d.Classes()), strings.Join(d.Classes(), ", "))}
	}
	return nil
}

// errOtherData is a run of another data set than the server's: a conflict
// with the server's state, not a bad request.
type errOtherData struct{ error }
