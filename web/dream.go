package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/train"
)

// dreamRequest starts Langevin chains on a run's model and streams them
// frame by frame. With Start the chains begin at that image (a drawing);
// with Mask too, only the masked pixels move and begin from noise
// (inpainting); otherwise they begin where the run's chains began (its
// --chain_start: uniform noise, or its class Gaussians).
type dreamRequest struct {
	Chains int       `json:"chains"`         // 1..MaxChains
	Steps  int       `json:"langevin_steps"` // 0: the run's chain length
	Alpha  *float64  `json:"langevin_alpha"` // nil: the run's
	Sigma  *float64  `json:"langevin_sigma"` // nil: the run's
	Class  *int      `json:"class"`          // nil: E(x); a label: E(x, class)
	Start  []float32 `json:"start"`          // nil or an image of the model's shape, values in [-1,1]
	Mask   []bool    `json:"mask"`           // nil or one per value of Start: those that move
	Frames int       `json:"frames"`         // frames streamed after the first (0: 100)
	FPS    int       `json:"fps"`            // pace: frames a second (0: as fast as computed)
	Seed   uint64    `json:"seed"`
}

// Limits of a dream's parameters.
const (
	MaxChains    = 256
	MaxSteps     = 10000
	MaxAlpha     = 100
	MaxSigma     = 10
	MaxFrames    = 1000
	MaxFPS       = 60
	defaultFrame = 100
)

// check range-checks every parameter and fills the defaults from the run.
func (q *dreamRequest) check(ck *train.Checkpoint) error {
	r, chainSteps, shape, classes := ck.Recipe, ck.ChainSteps(), ck.Shape(), ck.Model.Out()
	if q.Chains < 1 || q.Chains > MaxChains {
		return fmt.Errorf("chains = %d: want 1 to %d", q.Chains, MaxChains)
	}
	if q.Steps == 0 {
		q.Steps = chainSteps
	}
	if q.Steps < 1 || q.Steps > MaxSteps {
		return fmt.Errorf("langevin_steps = %d: want 1 to %d", q.Steps, MaxSteps)
	}
	if q.Alpha == nil {
		q.Alpha = &r.LangevinAlpha
	}
	if q.Sigma == nil {
		q.Sigma = &r.LangevinSigma
	}
	if a := *q.Alpha; !(a >= 0 && a <= MaxAlpha) {
		return fmt.Errorf("langevin_alpha = %v: want 0 to %d", a, MaxAlpha)
	}
	if s := *q.Sigma; !(s >= 0 && s <= MaxSigma) {
		return fmt.Errorf("langevin_sigma = %v: want 0 to %d", s, MaxSigma)
	}
	if q.Class != nil && (*q.Class < 0 || *q.Class >= classes) {
		return fmt.Errorf("class = %d: want 0 to %d, or none for E(x)", *q.Class, classes-1)
	}
	if q.Start != nil {
		if err := checkImage("start", q.Start, shape); err != nil {
			return err
		}
	}
	if q.Mask != nil {
		if q.Start == nil {
			return errors.New("mask without start: inpainting needs the image whose masked pixels to fill")
		}
		if len(q.Mask) != shape.Dim() {
			return fmt.Errorf("mask: %d values, want %d", len(q.Mask), shape.Dim())
		}
	}
	if q.Frames == 0 {
		q.Frames = defaultFrame
	}
	if q.Frames < 1 || q.Frames > MaxFrames {
		return fmt.Errorf("frames = %d: want 1 to %d", q.Frames, MaxFrames)
	}
	if q.FPS < 0 || q.FPS > MaxFPS {
		return fmt.Errorf("fps = %d: want 0 (unpaced) to %d", q.FPS, MaxFPS)
	}
	return nil
}

// frame is one line of a dream's stream.
type frame struct {
	Frame    int       `json:"frame"`
	Step     int       `json:"step"`     // Langevin steps run so far
	Energy   float64   `json:"energy"`   // mean energy of the chains
	Energies []float32 `json:"energies"` // each chain's energy
	Pixels   string    `json:"pixels"`   // base64 of chains x the image's values, a byte each, 0 = -1 .. 255 = 1
}

// dream streams chains as newline-separated JSON: a header, then frames,
// then {"done": true}. It stops when the page goes away.
func (s *Server) dream(w http.ResponseWriter, r *http.Request) {
	var q dreamRequest
	if err := readJSON(r, &q); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	// The slot first: a refused request costs no checkpoint load.
	release, ok := s.takeSlot(w, s.dreams, "as many dreams are running as may: stop one, or close a tab, and start again")
	if !ok {
		return
	}
	defer release()
	c, err := s.models.get(r.PathValue("name"))
	if err != nil {
		s.failRun(w, err)
		return
	}
	if err := q.check(c.ck); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	ctx, done := s.workContext(r)
	defer done()

	stride := (q.Steps + q.Frames - 1) / q.Frames
	sampler, err := langevin.New(jem.Energy{Model: c.ck.Model}, langevin.Config{Steps: stride,
		Alpha: float32(*q.Alpha), Sigma: float32(*q.Sigma), MaxStep: float32(c.ck.Recipe.LangevinMaxStep), Clamp: c.ck.Recipe.Clamp || q.Mask != nil, Seed: q.Seed})
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	defer sampler.Close()
	dim := c.ck.Shape().Dim()
	x := make([]float32, q.Chains*dim)
	var y []int
	if q.Class != nil {
		y = make([]int, q.Chains)
		for i := range y {
			y[i] = *q.Class
		}
	}
	if q.Start != nil {
		rng := rand.New(rand.NewPCG(q.Seed, streams.InpaintNoise))
		for i := range q.Chains {
			copy(x[i*dim:], q.Start)
			for j, free := range q.Mask {
				if free {
					x[i*dim+j] = float32(2*rng.Float64() - 1)
				}
			}
		}
		if err := sampler.SetMask(q.Mask); err != nil {
			s.fail(w, http.StatusBadRequest, err)
			return
		}
	}
	// Chains from noise start where the run's chains started.
	fromLaw := false
	if q.Start == nil {
		if fromLaw, err = s.fillStart(c.ck.Recipe.ChainStart, x, dim, c.ck.Model.Out(), y, q.Seed); err != nil {
			s.fail(w, http.StatusConflict, err)
			return
		}
	}

	out := s.newLineStream(w, done)
	send := out.send
	chainStart := c.ck.Recipe.ChainStart
	if q.Start != nil {
		chainStart = "start"
	}
	send(map[string]any{"chains": q.Chains, "langevin_steps": q.Steps, "langevin_alpha": *q.Alpha, "langevin_sigma": *q.Sigma, "chain_start": chainStart,
		"steps_per_frame": stride, "shape": shapeJSON(c.ck.Shape())})
	e := make([]float32, q.Chains)
	pix := make([]byte, q.Chains*dim)
	next := time.Now()
	for f, step := 0, 0; step < q.Steps || f == 0; f++ {
		// Frame 0 is where the chains start: round 0 run for no steps
		// (streams.go: a dream's frame f is round f).
		steps := min(stride, q.Steps-step)
		if f == 0 {
			steps = 0
		}
		if err := sampler.SetDynamics(steps, float32(*q.Alpha), float32(*q.Sigma)); err != nil {
			send(apiError{Error: s.scrub(err)})
			return
		}
		if err := sampler.RunContext(ctx, x, y, e, f == 0 && q.Start == nil && !fromLaw, uint64(f)); err != nil {
			if ctx.Err() == nil {
				send(apiError{Error: s.scrub(err)})
			}
			return
		}
		step += steps
		var mean float64
		for _, v := range e {
			mean += float64(v) / float64(len(e))
		}
		for i, v := range x {
			pix[i] = byte(math.Round((min(max(float64(v), -1), 1) + 1) * 127.5))
		}
		if q.FPS > 0 {
			time.Sleep(time.Until(next))
			next = time.Now().Add(time.Second / time.Duration(q.FPS))
		}
		if !send(frame{Frame: f, Step: step, Energy: mean, Energies: e, Pixels: base64.StdEncoding.EncodeToString(pix)}) {
			return // the page went away
		}
	}
	send(map[string]bool{"done": true})
}
