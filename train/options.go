package train

import (
	"errors"
	"os"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/mnist"
)

// Options say where and how this process carries out a run; none of them
// changes what it computes, so a resumed run takes them from its flags.
// Each field's JSON key is its flag, as for Recipe.
type Options struct {
	DataDir     string `json:"data_dir" help:"the data set: an IDX folder (MNIST, Fashion-MNIST or any other) or an image folder (train/<class>/*.png, test/<class>/*.png) (default $EBM_DATA)"`
	Download    bool   `json:"download" help:"download missing MNIST files from the public mirrors"`
	OutDir      string `json:"out_dir" help:"run folder: checkpoint, metrics, images, log"`
	LogFile     string `json:"log_file" help:"log file, relative to --out_dir unless absolute"`
	Workers     int    `json:"workers" help:"worker goroutines for the Langevin chains and the training step (0: one per core); results do not depend on it"`
	SampleEvery int    `json:"sample_every" help:"write a grid of samples every N epochs"`
}

// DefaultOptions reads the data folder from $EBM_DATA.
func DefaultOptions() Options {
	return Options{DataDir: os.Getenv(mnist.EnvVar), Download: true, OutDir: "runs/ebm", LogFile: "ebm_training.log", SampleEvery: 5}
}

// Validate names every bad option, each a *SettingError naming its flag.
func (o Options) Validate() error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, bad("data_dir", "no data folder: pass --data_dir or set %s (an IDX folder such as MNIST's, or an image folder)", mnist.EnvVar))
	} else if st, err := os.Stat(o.DataDir); (err != nil || !st.IsDir()) && !o.Download {
		errs = append(errs, bad("data_dir", "--data_dir %s: not a folder", o.DataDir))
	}
	if o.OutDir == "" {
		errs = append(errs, bad("out_dir", "--out_dir is empty"))
	}
	if o.Workers < 0 || o.Workers > pool.MaxWorkers {
		errs = append(errs, bad("workers", "--workers = %d: must be 0 (one per core) to %d", o.Workers, pool.MaxWorkers))
	}
	if o.SampleEvery <= 0 {
		errs = append(errs, bad("sample_every", "--sample_every = %d: must be positive", o.SampleEvery))
	}
	return errors.Join(errs...)
}
