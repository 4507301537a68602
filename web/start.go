package web

import (
	"math/rand/v2"
	"sync"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/train"
)

// startLaws are the server's data set's chain start laws (--chain_start),
// each fitted once, on first use, to its training images (class_gauss:
// about a second on MNIST) and shared by every dream of a run trained from
// it. A law's draws use its scratch, so one dream fills at a time.
type startLaws struct {
	mu   sync.Mutex
	laws map[string]langevin.Start
}

// fillStart fills the chains in x (dim values each) from the law a run
// started its chains from, and reports whether it did: false for uniform
// noise, which the sampler draws itself. A chain starts from its label in
// y, or, with y nil, from a class drawn at random.
func (s *Server) fillStart(name string, x []float32, dim, classes int, y []int, seed uint64) (bool, error) {
	if name == "uniform" || name == "" {
		return false, nil
	}
	data, err := s.loadData()
	if err != nil {
		return false, err
	}
	s.starts.mu.Lock()
	defer s.starts.mu.Unlock()
	law, ok := s.starts.laws[name]
	if !ok {
		if law, err = train.ChainStart(name, data.Train); err != nil {
			return false, err
		}
		if s.starts.laws == nil {
			s.starts.laws = map[string]langevin.Start{}
		}
		s.starts.laws[name] = law
	}
	langevin.FillChains(law, x, dim, y, classes, rand.New(rand.NewPCG(seed^streams.EvalStart, 0)))
	return true, nil
}
