package web

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// models keeps the checkpoints the Explore view uses, reloading one when
// its file changes (a training goes on).
type models struct {
	s     *Server
	mu    sync.Mutex
	cache map[string]*model
}

// maxModels bounds the cache: each holds its weights and histograms.
const maxModels = 4

type model struct {
	name     string
	modified time.Time
	ck       *train.Checkpoint
	used     time.Time

	histOnce sync.Once
	hist     []histogram
	histErr  error
}

// histogram counts E(x) of one data set in equal bins of symlog(E) between
// Lo and Hi (the page maps a drawing's energy the same way).
type histogram struct {
	Name   string  `json:"name"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Counts []int   `json:"counts"`
	Median float64 `json:"median"`
}

const histBins = 60

func newModels(s *Server) *models { return &models{s: s, cache: map[string]*model{}} }

// get loads (or reuses) the run's checkpoint, with the weights sampling
// uses: the moving average when the run kept one.
func (m *models) get(name string) (*model, error) {
	dir, err := m.s.runDir(name)
	if err != nil {
		return nil, err
	}
	path := run.Dir(dir).Checkpoint()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("run %q has no checkpoint yet: %w", name, errNotFound)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cache[name]; ok && c.modified.Equal(st.ModTime()) {
		c.used = time.Now()
		return c, nil
	}
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	data, err := m.s.loadData()
	if err != nil {
		return nil, err
	}
	if err := data.fits(name, ck); err != nil {
		return nil, err
	}
	if len(m.cache) >= maxModels {
		var oldest *model
		for _, c := range m.cache {
			if oldest == nil || c.used.Before(oldest.used) {
				oldest = c
			}
		}
		delete(m.cache, oldest.name)
	}
	c := &model{name: name, modified: st.ModTime(), ck: ck, used: time.Now()}
	m.cache[name] = c
	return c, nil
}

// forget drops a run's model (its folder is gone).
func (m *models) forget(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cache, name)
}

// histograms are the energies of the test set and of each out-of-distribution
// set under the model, computed once per checkpoint.
func (c *model) histograms(data *datasets) ([]histogram, error) {
	c.histOnce.Do(func() {
		sets := []*mnist.Dataset{data.Test}
		names := []string{data.Name + " test"}
		for _, o := range data.ood {
			sets, names = append(sets, o.Test), append(names, o.Name)
		}
		var all [][]float64
		var pooled []float64
		for _, d := range sets {
			_, e, err := jem.Scores(c.ck.Model, d.Floats(0, d.N), d.N)
			if err != nil {
				c.histErr = err
				return
			}
			for _, v := range e {
				pooled = append(pooled, symlog(v))
			}
			all = append(all, e)
		}
		// The axis spans all but the farthest 0.5% at each end, which go in
		// the end bins: a long tail of one set no longer squeezes the rest.
		slices.Sort(pooled)
		lo, hi := pooled[len(pooled)*5/1000], pooled[(len(pooled)-1)*995/1000]
		if hi <= lo {
			lo, hi = pooled[0], pooled[len(pooled)-1]+1e-9
		}
		for i, e := range all {
			h := histogram{Name: names[i], Lo: lo, Hi: hi, Counts: make([]int, histBins)}
			for _, v := range e {
				h.Counts[max(0, min(histBins-1, int((symlog(v)-lo)/(hi-lo)*histBins)))]++
			}
			h.Median = median(e)
			c.hist = append(c.hist, h)
		}
	})
	return c.hist, c.histErr
}

// symlog is the energy axis of the histograms, as on the report page:
// sign(e)*log10(1+|e|).
func symlog(e float64) float64 { return math.Copysign(math.Log10(1+math.Abs(e)), e) }

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

// describe tells the Explore view about a run's model.
func (m *models) describe(w http.ResponseWriter, r *http.Request) {
	c, err := m.get(r.PathValue("name"))
	if err != nil {
		m.s.failRun(w, err)
		return
	}
	data, err := m.s.loadData()
	if err != nil {
		m.s.fail(w, http.StatusServiceUnavailable, err)
		return
	}
	hist, err := c.histograms(data)
	if err != nil {
		m.s.fail(w, http.StatusInternalServerError, err)
		return
	}
	weights := "trained"
	if c.ck.Averaged() {
		weights = "ema"
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": c.name, "arch": c.ck.Model.Arch.String(), "weights": weights,
		"recipe": c.ck.Recipe, "chain_steps": c.ck.ChainSteps(), "epoch": len(c.ck.Progress.History), "histograms": hist,
		"data": data.Name, "framed": data.FramesDigits(), "test_images": data.Test.N, "shape": shapeJSON(c.ck.Shape()), "classes": c.ck.Classes})
}

// predictRequest is one image of the model's shape, values in [-1,1], row
// by row, channels last; or a drawing, which the server frames as the data
// set's images were made (mnist.Data.FrameDrawing).
type predictRequest struct {
	Pixels  []float32 `json:"pixels"`
	Drawing *drawing  `json:"drawing"`
}

// drawing is the canvas's ink, a byte a pixel (0 none, 255 full), row by
// row (base64 in JSON).
type drawing struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Ink    []byte `json:"ink"`
}

// prediction is p(y|x) and E(x) of the image; of a drawing, with the image
// the model saw.
type prediction struct {
	Probs  []float32 `json:"probs"`
	Energy float64   `json:"energy"`
	Label  int       `json:"label"`
	Pixels []float32 `json:"pixels,omitempty"`
}

func (m *models) predict(w http.ResponseWriter, r *http.Request) {
	var req predictRequest
	if err := readJSON(r, &req); err != nil {
		m.s.fail(w, http.StatusBadRequest, err)
		return
	}
	c, err := m.get(r.PathValue("name"))
	if err != nil {
		m.s.failRun(w, err)
		return
	}
	framed := req.Drawing != nil
	if framed {
		if req.Pixels != nil {
			m.s.fail(w, http.StatusBadRequest, fmt.Errorf("pixels or a drawing, not both"))
			return
		}
		if req.Pixels, err = m.frame(req.Drawing, c.ck.Shape()); err != nil {
			m.s.fail(w, http.StatusBadRequest, err)
			return
		}
	}
	if err := checkImage("pixels", req.Pixels, c.ck.Shape()); err != nil {
		m.s.fail(w, http.StatusBadRequest, err)
		return
	}
	p, err := predict(c.ck.Model, req.Pixels)
	if err != nil {
		m.s.fail(w, http.StatusInternalServerError, err)
		return
	}
	if framed {
		p.Pixels = req.Pixels
	}
	writeJSON(w, http.StatusOK, p)
}

// frame makes a drawing an image of shape s, grey repeated in each channel.
func (m *models) frame(d *drawing, s mnist.Shape) ([]float32, error) {
	data, err := m.s.loadData()
	if err != nil {
		return nil, err
	}
	if d.Width <= 0 || d.Height <= 0 || d.Width > 4096 || d.Height > 4096 || len(d.Ink) != d.Width*d.Height {
		return nil, fmt.Errorf("drawing: %d bytes of ink for %dx%d: want a byte a pixel", len(d.Ink), d.Width, d.Height)
	}
	ink := make([]float32, len(d.Ink))
	for i, b := range d.Ink {
		ink[i] = float32(b) / 255
	}
	grey, err := data.FrameDrawing(ink, d.Width, d.Height)
	if err != nil {
		return nil, err
	}
	px := make([]float32, 0, s.Dim())
	for _, v := range grey {
		for range s.Channels {
			px = append(px, v)
		}
	}
	return px, nil
}

func predict(m *nn.Net, pixels []float32) (prediction, error) {
	probs, e, err := jem.Scores(m, pixels, 1)
	if err != nil {
		return prediction{}, err
	}
	return prediction{Probs: probs, Energy: e[0], Label: nn.Argmax(probs)}, nil
}

// checkImage requires one image of shape s, finite values in [-1,1].
func checkImage(what string, px []float32, s mnist.Shape) error {
	if len(px) != s.Dim() {
		return fmt.Errorf("%s: %d values, want %d (a %v image)", what, len(px), s.Dim(), s)
	}
	for i, v := range px {
		if !(v >= -1 && v <= 1) {
			return fmt.Errorf("%s[%d] = %v: want a value in [-1, 1]", what, i, v)
		}
	}
	return nil
}
