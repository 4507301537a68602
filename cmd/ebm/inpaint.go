package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/train"
)

func cmdInpaint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inpaint", stderr)
	fs.renamed = map[string]string{"steps": "inpaint_steps", "n": "test_limit"}
	ckpt := fs.String("checkpoint", "", "checkpoint")
	out := fs.String("out", "", "PNG grid to write: hidden inputs, fills, originals")
	sets := addEvalFlags(fs, false)
	fs.IntVar(&sets.testLimit, "test_limit", 1000, "inpaint the first N test images")
	steps := fs.Int("inpaint_steps", 200, "Langevin steps on the hidden pixels (0: the start alone)")
	start := startFlag(fs)
	chains := addChainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkStart(*start); err != nil {
		return err
	}
	if err := required(fs, *ckpt, *out); err != nil {
		return err
	}
	if sets.testLimit <= 0 || *steps < 0 {
		return fmt.Errorf("inpaint: --test_limit = %d, --inpaint_steps = %d: want a positive number of images and steps >= 0", sets.testLimit, *steps)
	}
	ck, err := chains.load(*ckpt)
	if err != nil {
		return err
	}
	o := chains.evalOptions(ck)
	o.InpaintSteps = *steps
	if *start != "" {
		o.ChainStart = *start
	}
	data, err := sets.open(ck, *ckpt)
	if err != nil {
		return err
	}
	if err := o.FitStart(data.Train); err != nil {
		return err
	}
	n := data.Test.N
	acc, grid, err := eval.Inpaint(context.Background(), ck.Model, data.Judge.Net, data.Test, n, o)
	if err != nil {
		return err
	}
	shown := len(grid) / data.Test.Dim()
	if err := train.WriteGrid(*out, grid, shown, data.Test.Shape(), shown/3); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "inpaint_accuracy %.4f on %d test images (lower half hidden, from %s, %d steps); grid in %s\n", acc, n, o.ChainStart, *steps, *out)
	return nil
}
