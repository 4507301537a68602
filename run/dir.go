// Package run is the run folder's contract: the name of every file a run
// writes there, the run's status record (status.json), the checkpoint's
// container (its version, header and arrays), and the reading of them. train writes a run folder through it; eval, web and the command
// line read one through it, and no other package names a run's files.
package run

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// Dir is a run folder; its methods name the files a run writes there.
type Dir string

// The files of a run folder.
const (
	checkpointFile = "checkpoint.ebm"
	metricsFile    = "metrics.jsonl"
	curveFile      = "curve.jsonl"
	configFile     = "config.json"
	statusFile     = "status.json"
	lossCurveFile  = "loss_curve.svg"
	realGridFile   = "real.png"
	finalGridFile  = "samples_final.png"
	lockFile       = "run.lock"
	evalFile       = "eval.json"
	reportFile     = "report.html"
)

func (d Dir) path(name string) string { return filepath.Join(string(d), name) }

func (d Dir) Checkpoint() string { return d.path(checkpointFile) }
func (d Dir) Metrics() string    { return d.path(metricsFile) }
func (d Dir) Curve() string      { return d.path(curveFile) }
func (d Dir) Config() string     { return d.path(configFile) }
func (d Dir) Status() string     { return d.path(statusFile) }
func (d Dir) LossCurve() string  { return d.path(lossCurveFile) }
func (d Dir) RealGrid() string   { return d.path(realGridFile) }
func (d Dir) FinalGrid() string  { return d.path(finalGridFile) }
func (d Dir) Lock() string       { return d.path(lockFile) }
func (d Dir) Eval() string       { return d.path(evalFile) }
func (d Dir) Report() string     { return d.path(reportFile) }

// SampleGrid is the grid of samples written after an epoch of a run of
// epochs epochs. The number has as many digits as the largest epoch of the
// run (at least 3, the names runs have always had), so a listing sorts the
// grids of one run in epoch order.
func (d Dir) SampleGrid(epoch, epochs int) string {
	width := max(3, len(strconv.Itoa(epochs)))
	return d.path(fmt.Sprintf("samples_epoch%0*d.png", width, epoch))
}

// LogFile resolves --log_file: relative to the run folder unless absolute.
func (d Dir) LogFile(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return d.path(name)
}

var sampleGrid = regexp.MustCompile(`^samples_epoch([0-9]{3,7})\.png$`)

// SampleGrids lists the epochs' sample grids in the folder by epoch, as
// file names (a resumed run that raised its epochs past 999 may hold both
// widths).
func (d Dir) SampleGrids() []string {
	entries, _ := os.ReadDir(string(d))
	type grid struct {
		name  string
		epoch int
	}
	var grids []grid
	for _, e := range entries {
		if m := sampleGrid.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			grids = append(grids, grid{e.Name(), n})
		}
	}
	slices.SortStableFunc(grids, func(a, b grid) int { return a.epoch - b.epoch })
	names := make([]string, len(grids))
	for i, g := range grids {
		names[i] = g.name
	}
	return names
}

// LatestSamples is the newest sample grid's file name: the final one, else
// the last epoch's ("" if none).
func (d Dir) LatestSamples() string {
	if _, err := os.Stat(d.FinalGrid()); err == nil {
		return finalGridFile
	}
	if g := d.SampleGrids(); len(g) > 0 {
		return g[len(g)-1]
	}
	return ""
}

// Shown reports whether a client may read the named file of a run folder:
// the pictures, the records and the reports a run writes, not its
// checkpoint, lock or log.
func Shown(name string) bool {
	switch name {
	case metricsFile, curveFile, configFile, statusFile, lossCurveFile, realGridFile, finalGridFile, evalFile, reportFile:
		return true
	}
	return sampleGrid.MatchString(name)
}
