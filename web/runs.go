package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// A run is addressed by its folder's name inside Config.Runs, nothing else.
var runName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// errNotFound marks a run or file that does not exist (404).
var errNotFound = errors.New("not found")

// runDir resolves a run's name to its folder. It refuses names that could
// leave the runs folder (separators, "..", absolute paths) and folders that
// are links out of it.
func (s *Server) runDir(name string) (string, error) {
	if !runName.MatchString(name) {
		return "", fmt.Errorf("run name %q: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit", name)
	}
	dir := filepath.Join(s.cfg.Runs, name)
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return dir, fmt.Errorf("run %q: %w", name, errNotFound)
	}
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(s.cfg.Runs)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel != name {
		return "", fmt.Errorf("run %q is a link out of the runs folder", name)
	}
	return dir, nil
}

// failRun answers an error of runDir or of a run's files.
func (s *Server) failRun(w http.ResponseWriter, err error) {
	if errors.Is(err, errNotFound) {
		s.fail(w, http.StatusNotFound, err)
		return
	}
	if errors.As(err, new(errOtherData)) {
		s.fail(w, http.StatusConflict, err)
		return
	}
	s.fail(w, http.StatusBadRequest, err)
}

// runSummary is a run as the runs list shows it.
type runSummary struct {
	Name string `json:"name"`
	train.RunInfo
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	entries, err := os.ReadDir(s.cfg.Runs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	runs := []runSummary{}
	for _, e := range entries {
		if !runName.MatchString(e.Name()) {
			continue
		}
		dir, err := s.runDir(e.Name())
		if err != nil {
			continue
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if info, err := train.InspectRun(dir); err == nil {
			runs = append(runs, runSummary{e.Name(), info})
		}
	}
	slices.SortFunc(runs, func(a, b runSummary) int { return b.Modified.Compare(a.Modified) })
	writeJSON(w, http.StatusOK, runs)
}

func (s *Server) showRun(w http.ResponseWriter, r *http.Request) {
	if sum, _, ok := s.inspect(w, r); ok {
		writeJSON(w, http.StatusOK, sum)
	}
}

// inspect reads the state of the request's run, or answers why it cannot.
func (s *Server) inspect(w http.ResponseWriter, r *http.Request) (sum runSummary, dir string, ok bool) {
	name := r.PathValue("name")
	dir, err := s.runDir(name)
	if err != nil {
		s.failRun(w, err)
		return sum, "", false
	}
	info, err := train.InspectRun(dir)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return sum, "", false
	}
	return runSummary{name, info}, dir, true
}

func (s *Server) runFile(w http.ResponseWriter, r *http.Request) {
	dir, err := s.runDir(r.PathValue("name"))
	if err != nil {
		s.failRun(w, err)
		return
	}
	file := r.PathValue("file")
	if !run.Shown(file) {
		s.fail(w, http.StatusNotFound, fmt.Errorf("file %q: not a file a run writes", file))
		return
	}
	s.serveRunFile(w, r, dir, filepath.Join(dir, file))
}

// serveRunFile serves a file of run folder dir: the file itself, not a
// link out of the folder.
func (s *Server) serveRunFile(w http.ResponseWriter, r *http.Request, dir, path string) {
	real, err := filepath.EvalSymlinks(path)
	folder, ferr := filepath.EvalSymlinks(dir)
	rel, rerr := filepath.Rel(folder, real)
	if err != nil || ferr != nil || rerr != nil || !filepath.IsLocal(rel) {
		s.fail(w, http.StatusNotFound, fmt.Errorf("file %q: %w", filepath.Base(path), errNotFound))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	if filepath.Base(path) == filepath.Base(run.Dir(dir).Report()) {
		// The Evaluate view shows a report in a frame of its own page.
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	}
	http.ServeFile(w, r, path)
}

// settingInfo describes one form field: a setting of the recipe, or an
// option the page may set.
type settingInfo struct {
	Key     string `json:"key"`
	Help    string `json:"help"`
	Type    string `json:"type"`
	Default string `json:"default"`
}

// formOptions are the options a page may set; the server decides the rest
// (the data folder, the run folder, the log file).
var formOptions = []string{"sample_every"}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	recipe, opts := train.DefaultRecipe(), train.DefaultOptions()
	var out struct {
		Recipe  []settingInfo `json:"recipe"`
		Options []settingInfo `json:"options"`
		Presets []struct {
			Name   string            `json:"name"`
			Help   string            `json:"help"`
			Values map[string]string `json:"values"`
		} `json:"presets"`
		Data struct {
			Name  string `json:"name,omitempty"`
			Shape []int  `json:"shape,omitempty"`
			Train int    `json:"train,omitempty"`
			Error string `json:"error,omitempty"` // why the server has no data set
		} `json:"data"`
	}
	if err := s.CheckData(); err != nil {
		out.Data.Error = s.scrub(err)
	} else {
		d, _ := s.loadData()
		out.Data.Name, out.Data.Shape, out.Data.Train = d.Name, shapeJSON(d.Shape()), d.Train.N
	}
	for _, st := range train.Settings(&recipe) {
		out.Recipe = append(out.Recipe, settingInfo{st.Key, st.Help, settingType(st), st.String()})
	}
	for _, st := range train.Settings(&opts) {
		if slices.Contains(formOptions, st.Key) {
			out.Options = append(out.Options, settingInfo{st.Key, st.Help, settingType(st), st.String()})
		}
	}
	for _, p := range train.Presets {
		r, _ := train.PresetRecipe(p.Name)
		values := map[string]string{}
		for _, st := range train.Settings(&r) {
			values[st.Key] = st.String()
		}
		out.Presets = append(out.Presets, struct {
			Name   string            `json:"name"`
			Help   string            `json:"help"`
			Values map[string]string `json:"values"`
		}{p.Name, p.Help, values})
	}
	writeJSON(w, http.StatusOK, out)
}

func settingType(s train.Setting) string {
	if s.IsBoolFlag() {
		return "bool"
	}
	return s.Type()
}

// shapeJSON is an image shape as the page takes it.
func shapeJSON(s mnist.Shape) []int { return []int{s.Rows, s.Cols, s.Channels} }

// digit serves test image index (0-based), its label and class name.
func (s *Server) digit(w http.ResponseWriter, r *http.Request) {
	data, err := s.loadData()
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, err)
		return
	}
	i, err := strconv.Atoi(r.PathValue("index"))
	test := data.Test
	if err != nil || i < 0 || i >= test.N {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("test image %q: want an index from 0 to %d", r.PathValue("index"), test.N-1))
		return
	}
	l := test.Labels[i]
	writeJSON(w, http.StatusOK, map[string]any{"index": i, "label": l, "class": test.ClassNames()[l], "pixels": test.Image(i, make([]float32, test.Dim())), "shape": shapeJSON(test.Shape())})
}
