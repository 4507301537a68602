package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/internal/atomicfile"
	runfolder "github.com/ebm-project/ebm/run"
)

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	fs.renamed = map[string]string{"steps": "langevin_steps", "json": "out", "fashion_dir": "ood_dirs"}
	ckpt := fs.String("checkpoint", "", "checkpoint to evaluate")
	out := fs.String("out", "", "write the figures as JSON here (default: kept in the checkpoint's run folder, under evaluations/, with the report)")
	report := fs.String("report", "", "write a self-contained HTML report here")
	sets := addEvalFlags(fs, true)
	samples := fs.Int("samples", 10000, "chains from noise (and conditional chains in all)")
	steps := fs.Int("langevin_steps", 0, "Langevin steps per chain from noise"+chainLengthHelp)
	inpaintSteps := fs.Int("inpaint_steps", 200, "Langevin steps of the inpainting chains")
	fs.IntVar(&sets.testLimit, "test_limit", 0, "use only the first N test images of each set (0: all)")
	start := startFlag(fs)
	chains := addChainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkStart(*start); err != nil {
		return err
	}
	if err := required(fs, *ckpt); err != nil {
		return err
	}
	// Without --out, the evaluation is kept where `ebm serve` lists it.
	runDir := runfolder.Dir(filepath.Dir(*ckpt))
	if *out == "" && *report != "" {
		return fmt.Errorf("--report needs --out (give neither to keep both in the run folder)")
	}
	if *out == "" && filepath.Clean(*ckpt) != filepath.Clean(runDir.Checkpoint()) {
		return fmt.Errorf("--out is required unless the checkpoint is a run folder's %s (then the evaluation is kept in its folder)", filepath.Base(runDir.Checkpoint()))
	}
	ck, err := chains.load(*ckpt)
	if err != nil {
		return err
	}
	o := chains.evalOptions(ck)
	if *start != "" {
		o.ChainStart = *start
	}
	o.Samples, o.InpaintSteps = *samples, *inpaintSteps
	if *steps != 0 {
		o.Dynamics.Steps = *steps
	}
	data, err := sets.open(ck, *ckpt)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Progress = progressLine(stderr)
	fmt.Fprintf(stderr, "evaluating %s on %s: %d test images, judge %v (test accuracy %.4f), out-of-distribution sets %d\n",
		*ckpt, data.Name, data.Test.N, data.Judge.Info.Arch, data.Judge.Info.TestAcc, len(data.OOD))
	rep, err := eval.Evaluate(ctx, ck, data, o)
	if err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	if *out == "" {
		e, err := runDir.NewEvaluation(time.Now())
		if err != nil {
			return err
		}
		*out, *report = e.JSON, e.Report
		defer fmt.Fprintf(stderr, "kept in %s\n", filepath.Dir(e.JSON))
	}
	if err := atomicfile.WriteFile(*out, js); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if *report != "" {
		page, err := rep.HTML(*ckpt, ck.Model.Arch)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*report, page); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	fmt.Fprintf(stdout, "accuracy %.4f  nll %.4f  ece %.4f  fid %.2f (floor %.2f)  cond_accuracy %.4f  class_coverage %.4f  inpaint_accuracy %.4f\n",
		rep.Accuracy, rep.NLL, rep.ECE, rep.FID, rep.FIDFloor, rep.CondAccuracy, rep.ClassCoverage, rep.InpaintAccuracy)
	return nil
}

// progressLine reports an evaluation's stages on w: a line when a stage
// starts and at most one every 10 s within it. It is called from the
// sampler's workers.
func progressLine(w io.Writer) func(stage string, done, total int) {
	var mu sync.Mutex
	var last time.Time
	var lastStage string
	start := time.Now()
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); stage != lastStage || now.Sub(last) >= 10*time.Second {
			last, lastStage = now, stage
			fmt.Fprintf(w, "%6.0fs  %s: %d of %d\n", now.Sub(start).Seconds(), stage, done, total)
		}
	}
}
