package run

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"
)

// Each evaluation of a run is kept in a folder of its own,
// evaluations/<id>/ with eval.json and report.html, its id the UTC time it
// was made. (Runs evaluated before kept one, as eval.json and report.html
// in the run folder itself: LegacyEvaluation.)
const evaluationsDir = "evaluations"

// LegacyEvaluation is the id of the evaluation a run folder holds at its
// top level, from before evaluations were kept.
const LegacyEvaluation = "legacy"

var evaluationID = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z(-[0-9]{1,4})?$`)

// ValidEvaluation reports whether id names an evaluation (and nothing
// outside the evaluations folder).
func ValidEvaluation(id string) bool { return id == LegacyEvaluation || evaluationID.MatchString(id) }

// Evaluation is one evaluation's files in a run folder.
type Evaluation struct {
	ID     string
	JSON   string // eval.json
	Report string // report.html
}

// Evaluation names the files of evaluation id.
func (d Dir) Evaluation(id string) Evaluation {
	if id == LegacyEvaluation {
		return Evaluation{id, d.Eval(), d.Report()}
	}
	dir := filepath.Join(string(d), evaluationsDir, id)
	return Evaluation{id, filepath.Join(dir, evalFile), filepath.Join(dir, reportFile)}
}

// NewEvaluation makes the folder of a new evaluation made at t.
func (d Dir) NewEvaluation(t time.Time) (Evaluation, error) {
	base := t.UTC().Format("20060102T150405Z")
	if err := os.MkdirAll(filepath.Join(string(d), evaluationsDir), 0o755); err != nil {
		return Evaluation{}, fmt.Errorf("run evaluations: %w", err)
	}
	for k := 1; k < 10000; k++ {
		id := base
		if k > 1 {
			id = fmt.Sprintf("%s-%d", base, k)
		}
		e := d.Evaluation(id)
		err := os.Mkdir(filepath.Dir(e.JSON), 0o755)
		if err == nil {
			return e, nil
		}
		if !os.IsExist(err) {
			return Evaluation{}, fmt.Errorf("run evaluations: %w", err)
		}
	}
	return Evaluation{}, fmt.Errorf("run evaluations: too many made at %s", base)
}

// Evaluations lists the evaluations that wrote their figures, newest first.
func (d Dir) Evaluations() []Evaluation {
	entries, _ := os.ReadDir(filepath.Join(string(d), evaluationsDir))
	var out []Evaluation
	for _, e := range entries {
		if !evaluationID.MatchString(e.Name()) {
			continue
		}
		if ev := d.Evaluation(e.Name()); regular(ev.JSON) {
			out = append(out, ev)
		}
	}
	slices.Reverse(out) // ids sort as their times
	if regular(d.Eval()) {
		out = append(out, d.Evaluation(LegacyEvaluation))
	}
	return out
}

// regular reports whether path is a regular file, not a link.
func regular(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode().IsRegular()
}
