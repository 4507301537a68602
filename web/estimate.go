package web

import (
	"fmt"
	"net/http"

	"github.com/ebm-project/ebm/train"
)

// estimate times the form's recipe on this machine (train.EstimateRun): a
// few of its steps, now. While a training runs, the machine's cores are
// taken: the measurement would be wrong and would slow the training.
func (s *Server) estimate(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := readJSON(r, &req); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	if err := s.training.busy(); err != nil {
		s.fail(w, http.StatusConflict, fmt.Errorf("no estimate while a training runs: its speed is under Training"))
		return
	}
	_, recipe, err := s.formJob(s.cfg.Runs, req) // no folder is written
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	release, ok := s.takeSlot(w, s.estimates, "an estimate is being measured: wait for it")
	if !ok {
		return
	}
	defer release()
	data, err := s.loadData()
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, err)
		return
	}
	ctx, done := s.workContext(r)
	defer done()
	e, err := train.EstimateRun(ctx, recipe, 0, data.Train, data.Test)
	if err != nil {
		if ctx.Err() == nil {
			s.fail(w, http.StatusInternalServerError, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, e)
}
