package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ebm-project/ebm/mnist"

	"github.com/ebm-project/ebm/train"
)

// chainLengthHelp describes the default of --langevin_steps for chains
// from noise (train.Checkpoint.ChainSteps).
const chainLengthHelp = " (default: the run's chain length: as many as the median chain of its replay buffer had run, at least the run's langevin_steps)"

func cmdSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sample", stderr)
	fs.renamed = map[string]string{"steps": "langevin_steps", "n": "samples"}
	ckpt := fs.String("checkpoint", "", "checkpoint file (a run's checkpoint.ebm)")
	out := fs.String("out", "", "PNG grid to write")
	class := fs.Int("class", -1, "sample E(x, y) for this class (default: unconditional E(x))")
	samples := fs.Int("samples", train.GridSize, "number of samples")
	steps := fs.Int("langevin_steps", 0, "Langevin steps from noise"+chainLengthHelp)
	start := startFlag(fs)
	dataDir := fs.String("data_dir", os.Getenv(mnist.EnvVar), "the run's data set, read only to fit a --chain_start other than uniform (default $"+mnist.EnvVar+")")
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
	ck, err := chains.load(*ckpt)
	if err != nil {
		return err
	}
	ch := ck.Chains(*samples)
	if *start == "" {
		*start = ck.Recipe.ChainStart
	}
	if *start != "uniform" {
		d, err := mnist.Open(*dataDir, false)
		if err != nil {
			return fmt.Errorf("--chain_start %s is fitted to the run's training images: %w", *start, err)
		}
		if d.Shape() != ck.Shape() || len(d.Classes()) != ck.Model.Out() {
			return fmt.Errorf("--data_dir %s has %v images in %d classes, the model %v in %d: fit --chain_start %s to the run's own data set", *dataDir, d.Shape(), len(d.Classes()), ck.Shape(), ck.Model.Out(), *start)
		}
		if ch.Start, err = train.ChainStart(*start, d.Train); err != nil {
			return err
		}
	}
	if *steps != 0 {
		ch.Steps = *steps
	}
	ch.Alpha, ch.Sigma = chains.dynamics(ck.Recipe)
	ch.Class, ch.Workers, ch.Seed = *class, *chains.workers, *chains.seed
	x, err := train.Sample(ck.Model, ch)
	if err != nil {
		return err
	}
	if err := train.WriteGrid(*out, x, ch.N, ck.Shape(), 8); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d samples (%d steps from %s) to %s\n", ch.N, ch.Steps, *start, *out)
	return nil
}
