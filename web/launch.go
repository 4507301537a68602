package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// Starting and resuming a training from the page: every check a training
// would fail is made before the request is answered (202), and refusals
// are worded in the page's terms (its Resume button, another name).

// startRequest is the new-run form.
type startRequest struct {
	Name     string            `json:"name"`
	Preset   string            `json:"preset"`
	Settings map[string]string `json:"settings"` // by flag name, as the flag would be written
}

func (t *trainings) start(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := readJSON(r, &req); err != nil {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	if err := t.busy(); err != nil {
		t.s.fail(w, http.StatusConflict, err)
		return
	}
	dir, err := t.s.runDir(req.Name)
	if err == nil {
		info, err := train.InspectRun(dir)
		if err != nil {
			t.s.fail(w, http.StatusInternalServerError, err)
			return
		}
		if err := cannotStartOver(req.Name, info); err != nil {
			t.s.fail(w, http.StatusConflict, err)
			return
		}
	} else if !errors.Is(err, errNotFound) {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	job, recipe, err := t.s.formJob(dir, req)
	if err != nil {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	t.launch(w, req.Name, job, recipe.Epochs)
}

// formJob is the training the form asks for, in run folder dir. Every bad
// field is named at once, so the form can mark them all.
func (s *Server) formJob(dir string, req startRequest) (train.Job, train.Recipe, error) {
	job := s.job(dir)
	job.Preset, job.Given = req.Preset, map[string]string{}
	var errs []error
	for key, v := range req.Settings {
		if slices.Contains(formOptions, key) {
			errs = append(errs, train.Set(&job.Options, key, v))
		} else {
			job.Given[key] = v
		}
	}
	recipe, err := job.NewRecipe()
	if err := errors.Join(append(errs, err, job.Options.Validate())...); err != nil {
		return job, recipe, err
	}
	return job, recipe, s.fitsData(recipe)
}

// cannotStartOver says why a new run may not be started in an existing
// folder, in the page's terms: one with a checkpoint is resumed or left.
func cannotStartOver(name string, info train.RunInfo) error {
	switch {
	case info.State == run.Running:
		return fmt.Errorf("run %q is being trained: watch it under Training, or choose another name", name)
	case info.State == run.Corrupt:
		return fmt.Errorf("run %q exists, and its checkpoint cannot be read (%s): choose another name, or remove its folder from --runs", name, info.Error)
	case info.State == run.Finished:
		return fmt.Errorf("run %q exists and has finished its %d epochs: choose another name", name, info.Epochs)
	case info.Checkpoint:
		return fmt.Errorf("run %q exists with a checkpoint at epoch %d of %d: continue it with its Resume button under Runs, or choose another name", name, info.Epoch, info.Epochs)
	}
	return nil // no checkpoint: nothing to lose
}

// fitsData checks what only the data set can tell: a batch no larger than
// the training images the recipe keeps, convolutions that fit its images.
func (s *Server) fitsData(r train.Recipe) error {
	data, err := s.loadData()
	if err != nil {
		return fmt.Errorf("the server's data: %w", err)
	}
	n := data.Train.N
	if r.TrainLimit > 0 {
		n = min(n, r.TrainLimit)
	}
	if r.BatchSize > n {
		return &train.SettingError{Key: "batch_size", Msg: fmt.Sprintf("--batch_size = %d: larger than the %d training images", r.BatchSize, n)}
	}
	_, err = r.Arch(data.Shape(), len(data.Classes())) // convolutions that fit the images
	return err
}

// resumeRequest may raise the epochs of the run.
type resumeRequest struct {
	Epochs int `json:"epochs"` // 0: as the run's recipe says
}

func (t *trainings) resume(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	dir, err := t.s.runDir(name)
	if err != nil {
		t.s.failRun(w, err)
		return
	}
	var req resumeRequest
	if err := readJSON(r, &req); err != nil {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	if err := t.busy(); err != nil {
		t.s.fail(w, http.StatusConflict, err)
		return
	}
	info, err := train.InspectRun(dir)
	if err != nil {
		t.s.fail(w, http.StatusInternalServerError, err)
		return
	}
	switch {
	case info.State == run.Running:
		err = fmt.Errorf("run %q is being trained already", name)
	case info.State == run.Corrupt:
		err = fmt.Errorf("run %q cannot be resumed: its checkpoint cannot be read (%s)", name, info.Error)
	case !info.Checkpoint:
		err = fmt.Errorf("run %q has no checkpoint to resume (its first epoch never finished): start it again from the form, under the same name", name)
	case info.State == run.Finished && req.Epochs <= info.Epochs:
		err = fmt.Errorf("run %q has finished its %d epochs: ask for more epochs to continue it", name, info.Epochs)
	}
	if err != nil {
		t.s.fail(w, http.StatusConflict, err)
		return
	}
	if req.Epochs < 0 || req.Epochs > 0 && req.Epochs < info.Epoch {
		t.s.fail(w, http.StatusBadRequest, &train.SettingError{Key: "epochs", Msg: fmt.Sprintf("epochs = %d: at least the %d done", req.Epochs, info.Epoch)})
		return
	}
	// The whole checkpoint, not just its header: a cut file fails here, not
	// after the answer.
	ck, err := train.LoadCheckpoint(run.Dir(dir).Checkpoint())
	if err != nil {
		t.s.fail(w, http.StatusConflict, fmt.Errorf("run %q cannot be resumed: %w", name, err))
		return
	}
	recipe := ck.Recipe
	job := t.s.job(dir)
	job.Resume, job.Given = true, map[string]string{}
	if req.Epochs > 0 {
		job.Given["epochs"] = fmt.Sprint(req.Epochs)
		recipe.Epochs = req.Epochs
	}
	if err := recipe.Validate(); err != nil {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	if err := t.s.fitsData(recipe); err != nil {
		t.s.fail(w, http.StatusBadRequest, err)
		return
	}
	t.launch(w, name, job, recipe.Epochs)
}

// busy says why no training may start now: one runs here already.
func (t *trainings) busy() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.run != nil && (t.run.State == run.Running || t.run.State == run.Stopping) {
		return fmt.Errorf("a training is running (%s): one at a time; stop it first", t.run.Name)
	}
	return nil
}

// job is a run of the server's: its data, no download, the default log.
func (s *Server) job(dir string) train.Job {
	o := train.DefaultOptions()
	o.DataDir, o.Download, o.OutDir = s.cfg.DataDir, false, dir
	return train.Job{Options: o}
}
