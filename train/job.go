package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/run"
)

// Job is one `ebm train`: a recipe, from a preset or (on resume) from the
// run's checkpoint, with the settings given on the command line over it,
// carried out with this process's options.
type Job struct {
	Preset string // starting recipe of a new run ("": default)
	// Given holds the recipe settings given explicitly, by key (flag name)
	// and as the flag's text. A resumed run may raise epochs; any other
	// given setting must equal the checkpoint's.
	Given   map[string]string
	Resume  bool
	Options Options
	// Console receives the log and the progress line (nil: neither).
	Console io.Writer
	// Hooks follow the run (a web page does, through them): Step and
	// Rollback as the loop calls them, EpochEnd after the epoch's files
	// are written, Progress instead of the console's progress line. The
	// checkpoint is the run folder's own: Hooks.Checkpoint is not called.
	Hooks Hooks
}

// config.json: every setting of the run, under its flag's name.
type runConfig struct {
	Recipe
	Options
}

// Execute trains as the job says and writes every artifact of the run
// folder. The folder is locked for the whole run.
func Execute(ctx context.Context, j Job) error {
	opts := j.Options
	if err := opts.Validate(); err != nil {
		return err
	}
	dir := run.Dir(opts.OutDir)
	var recipe Recipe
	if !j.Resume {
		var err error
		if recipe, err = j.NewRecipe(); err != nil {
			return err
		}
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return fmt.Errorf("--out_dir %s: %w", opts.OutDir, err)
		}
	} else if j.Preset != "" {
		return fmt.Errorf("--preset cannot be combined with --resume: the run's recipe comes from its checkpoint")
	}
	if st, err := os.Stat(opts.OutDir); j.Resume && (err != nil || !st.IsDir()) {
		return fmt.Errorf("--resume: --out_dir %s is not a run folder: no checkpoint to continue", opts.OutDir)
	}
	lock, err := run.LockDir(opts.OutDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	_, statErr := os.Stat(dir.Checkpoint())
	if statErr == nil && !j.Resume {
		return fmt.Errorf("--out_dir %s already holds a checkpoint: pass --resume to continue that run, or choose another --out_dir", opts.OutDir)
	}
	if statErr != nil && j.Resume {
		return fmt.Errorf("--resume: --out_dir %s holds no checkpoint to continue", opts.OutDir)
	}
	var ck *Checkpoint
	if j.Resume {
		if ck, err = LoadCheckpoint(dir.Checkpoint()); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if recipe, err = j.resumedRecipe(ck.Recipe); err != nil {
			return err
		}
	}

	console := j.Console
	if console == nil {
		console = io.Discard
	}
	lf, err := os.OpenFile(dir.LogFile(opts.LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("--log_file: %w", err)
	}
	defer lf.Close()
	log := slog.New(slog.NewMultiHandler(slog.NewTextHandler(console, nil), slog.NewTextHandler(lf, nil)))
	log.Info("config", append(append(LogAttrs(&recipe), LogAttrs(&opts)...), "resume", j.Resume)...)
	// From here on the folder records how the attempt ends (status.json):
	// the page and `ebm serve` read that, not the log.
	status := run.Status{State: run.Running, Epochs: recipe.Epochs}
	if ck != nil {
		status.Epoch = len(ck.Progress.History)
	}
	err = dir.WriteStatus(status)
	if err == nil {
		err = WriteJSON(dir.Config(), runConfig{recipe, opts})
	}
	if err == nil {
		err = j.train(ctx, recipe, ck, log, &status.Epoch)
	}
	switch {
	case err == nil:
		status.State = run.Finished
	case errors.Is(err, ErrInterrupted):
		status.State = run.Interrupted
	default:
		status.State, status.Error = run.Failed, err.Error()
		log.Error("failed", "err", err.Error())
	}
	status.Updated = time.Time{}
	if serr := dir.WriteStatus(status); serr != nil && err == nil {
		err = serr
	}
	return err
}

// train is Execute once the recipe is known and the folder locked and
// logging: everything whose failure the log should record.
// It keeps *epoch at the epochs done.
func (j Job) train(ctx context.Context, recipe Recipe, ck *Checkpoint, log *slog.Logger, epoch *int) error {
	opts, dir := j.Options, run.Dir(j.Options.OutDir)
	log.Info("kernels", "active", kernels.Active(), "cpu", kernels.Describe().CPU)
	trainSet, testSet, note, err := LoadData(recipe, opts)
	if err != nil {
		return err
	}
	log.Info("data", "data_dir", opts.DataDir, "train", trainSet.N, "test", testSet.N, "shape", trainSet.Shape().String(), "classes", len(trainSet.ClassNames()), "read", note)

	t, err := NewTrainer(recipe, opts.Workers, trainSet, testSet, log)
	if err != nil {
		return err
	}
	defer t.Close()
	if ck != nil {
		if err := ck.Restore(t); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		log.Info("resumed", "epoch", t.Progress.Epoch, "batch", t.Progress.Batch, "step", t.Progress.Step)
	}
	log.Info("model", "arch", t.Model.Arch.String(), "parameters", t.Model.NumParams(), "workers", t.Workers())
	real := min(GridSize, trainSet.N)
	if err := WriteGrid(dir.RealGrid(), trainSet.Floats(0, real), real, trainSet.Shape(), gridColumns); err != nil {
		return err
	}

	// The curves: a fresh run forgets an earlier attempt's; a resumed one
	// marks where it took up (points a killed process wrote past its last
	// checkpoint are dropped when read).
	if ck == nil {
		err = dir.RemoveCurve()
	} else {
		err = dir.AppendMark(run.Mark{Kind: run.MarkResume, Step: t.Progress.Step, Epoch: t.Progress.Epoch})
	}
	if err != nil {
		return err
	}
	curve := newCurveRecorder(dir, t, j.Hooks.Point)
	hooks := Hooks{
		Checkpoint: func(t *Trainer) error {
			// The curve first, so that it never lacks a checkpoint's steps;
			// the checkpoint is saved even if the curve could not be.
			cerr := curve.flush()
			return errors.Join(SaveCheckpoint(dir.Checkpoint(), t), cerr)
		},
		EpochEnd: func(t *Trainer, m EpochMetrics) error {
			if err := WriteMetrics(dir.Metrics(), t.Progress.History); err != nil {
				return err
			}
			if err := WriteLossCurve(dir.LossCurve(), t.Progress.History); err != nil {
				return err
			}
			*epoch = m.Epoch
			if m.Epoch%opts.SampleEvery == 0 {
				if err := t.writeSamples(dir.SampleGrid(m.Epoch, t.Recipe.Epochs), streams.GridRound(m.Epoch)); err != nil {
					return err
				}
			}
			if j.Hooks.EpochEnd != nil {
				return j.Hooks.EpochEnd(t, m)
			}
			return nil
		},
		Step: func(t *Trainer, st StepStats) {
			curve.step(t, st)
			if j.Hooks.Step != nil {
				j.Hooks.Step(t, st)
			}
		},
		Rollback: func(t *Trainer, d *Diverged) {
			if err := curve.rollback(t, d); err != nil {
				log.Warn("the curve's rollback mark was not written", "err", err.Error())
			}
			if j.Hooks.Rollback != nil {
				j.Hooks.Rollback(t, d)
			}
		},
		Progress: j.Hooks.Progress,
	}
	if j.Console != nil && hooks.Progress == nil {
		hooks.Progress = progressPrinter(j.Console)
	}
	start := time.Now()
	err = t.Run(ctx, hooks)
	if j.Console != nil {
		fmt.Fprintln(j.Console)
	}
	if errors.Is(err, ErrInterrupted) {
		log.Warn("interrupted: checkpoint saved; continue with --resume", "epoch", t.Progress.Epoch, "batch", t.Progress.Batch, "checkpoint", dir.Checkpoint())
		return err
	}
	if err != nil {
		return err
	}
	if err := t.writeSamples(dir.FinalGrid(), streams.FinalGridRound); err != nil {
		return err
	}
	last := EpochMetrics{}
	if n := len(t.Progress.History); n > 0 {
		last = t.Progress.History[n-1]
	}
	attrs := []any{"val_acc", last.ValAcc, "val_loss", last.ValLoss}
	if t.EMA != nil {
		attrs = append(attrs, "val_acc_ema", last.ValAccEMA, "val_loss_ema", last.ValLossEMA)
	}
	log.Info("done", append(attrs, "minutes", time.Since(start).Minutes(), "out_dir", opts.OutDir)...)
	return nil
}

// NewRecipe is the preset with the given settings over it.
// Every bad setting is named (joined *SettingErrors, a form marks each):
// a value that does not parse, then the ranges of those that did.
func (j Job) NewRecipe() (Recipe, error) {
	r, err := PresetRecipe(j.Preset)
	if err != nil {
		return r, err
	}
	var errs []error
	bad := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(j.Given)) {
		if err := Set(&r, key, j.Given[key]); err != nil {
			errs, bad[key] = append(errs, err), true
		}
	}
	if err, ok := r.Validate().(interface{ Unwrap() []error }); ok {
		for _, e := range err.Unwrap() {
			var se *SettingError
			if !errors.As(e, &se) || !bad[se.Key] { // no second word on a field that did not parse
				errs = append(errs, e)
			}
		}
	}
	return r, errors.Join(errs...)
}

// resumedRecipe is the checkpoint's recipe, with epochs raised if given;
// any other given setting must not differ from it.
func (j Job) resumedRecipe(saved Recipe) (Recipe, error) {
	given := saved
	for key, v := range j.Given {
		if err := Set(&given, key, v); err != nil {
			return saved, err
		}
	}
	have, want := Settings(&saved), Settings(&given)
	for i, s := range have {
		if s.Key != "epochs" && !reflect.DeepEqual(s.Value(), want[i].Value()) {
			return saved, fmt.Errorf("--%s %s differs from the checkpoint's %s: a resumed run keeps its recipe (only --epochs and the options %s may change)",
				s.Key, want[i], s, optionNames())
		}
	}
	saved.Epochs = given.Epochs
	return saved, saved.Validate()
}

func optionNames() string {
	var names []string
	for _, s := range Settings(&Options{}) {
		names = append(names, "--"+s.Key)
	}
	return strings.Join(names, ", ")
}

// LoadData reads the data set of a run from the options' folder (any set
// mnist.Open reads), cut to the recipe's limits; note says what was read
// and checked, for the log.
func LoadData(r Recipe, o Options) (trainSet, testSet *mnist.Dataset, note string, err error) {
	d, err := mnist.Open(o.DataDir, o.Download)
	if err != nil {
		return nil, nil, "", err
	}
	trainSet, testSet = d.Train, d.Test
	if r.TrainLimit > 0 {
		trainSet = trainSet.Subset(r.TrainLimit)
	}
	if r.TestLimit > 0 {
		testSet = testSet.Subset(r.TestLimit)
	}
	if trainSet.N < r.BatchSize {
		return nil, nil, "", fmt.Errorf("--batch_size = %d: larger than the %d training images", r.BatchSize, trainSet.N)
	}
	return trainSet, testSet, d.Note, nil
}
