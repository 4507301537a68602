package train

import (
	"fmt"
	"path/filepath"
)

// RunDir is a run folder; its methods name the files a run writes there.
type RunDir string

func (d RunDir) Checkpoint() string { return filepath.Join(string(d), "checkpoint.ebm") }
func (d RunDir) Metrics() string    { return filepath.Join(string(d), "metrics.jsonl") }
func (d RunDir) Config() string     { return filepath.Join(string(d), "config.json") }
func (d RunDir) LossCurve() string  { return filepath.Join(string(d), "loss_curve.svg") }
func (d RunDir) RealGrid() string   { return filepath.Join(string(d), "real.png") }
func (d RunDir) FinalGrid() string  { return filepath.Join(string(d), "samples_final.png") }
func (d RunDir) Lock() string       { return filepath.Join(string(d), "run.lock") }

// SampleGrid is the grid of samples written after an epoch.
func (d RunDir) SampleGrid(epoch int) string {
	return filepath.Join(string(d), fmt.Sprintf("samples_epoch%03d.png", epoch))
}

// LogFile resolves --log_file: relative to the run folder unless absolute.
func (d RunDir) LogFile(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(string(d), name)
}
