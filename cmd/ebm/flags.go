package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

// flagSet is one command's flags and where its help goes.
type flagSet struct {
	*flag.FlagSet
	cmd     command
	stderr  io.Writer
	renamed map[string]string // old flag name: the new one, for a hint
}

// newFlags silences the flag package, which would print its message and the
// whole usage on any error: parse reports one line, and the usage on -h only.
func newFlags(name string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("ebm "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c := command{name: name, args: "[flags]"}
	for _, k := range commands {
		if k.name == name {
			c = k
		}
	}
	return &flagSet{FlagSet: fs, cmd: c, stderr: stderr}
}

// parse reports a bad flag in one line, or the usage on -h.
func parse(fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(fs.stderr, "usage: ebm %s %s\n%s\n\n", fs.cmd.name, fs.cmd.args, fs.cmd.about)
			printDefaults(fs.FlagSet, fs.stderr)
			return err
		}
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok && fs.renamed[name] != "" {
			return fmt.Errorf("%s: --%s is now --%s", fs.Name(), name, fs.renamed[name])
		}
		return fmt.Errorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	// Every command's --workers is the pool's size, refused here before
	// any work starts.
	if f := fs.Lookup("workers"); f != nil {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && (n < 0 || n > pool.MaxWorkers) {
			return fmt.Errorf("%s: --workers = %d: must be 0 (one per core) to %d", fs.Name(), n, pool.MaxWorkers)
		}
	}
	return nil
}

// printDefaults lists the flags as this project writes them: --name, its
// type, its help and its default where that is not zero.
func printDefaults(fs *flag.FlagSet, w io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		if t, ok := f.Value.(interface{ Type() string }); ok {
			typ = t.Type()
		}
		name := "--" + f.Name
		if typ != "" {
			name += " " + typ
		}
		fmt.Fprintf(w, "  %s\n    \t%s", name, usage)
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "-1" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// required names the flags that must be given when one is empty.
func required(fs *flagSet, values ...string) error {
	for _, v := range values {
		if v == "" {
			var names []string
			for _, f := range strings.Fields(fs.cmd.args) {
				if strings.HasPrefix(f, "--") {
					names = append(names, f)
				}
			}
			verb := "is"
			if len(names) > 1 {
				verb = "are"
			}
			return fmt.Errorf("%s: %s %s required", fs.cmd.name, strings.Join(names, " and "), verb)
		}
	}
	return nil
}

// dataDirFlag is --data_dir, defaulting to $EBM_DATA, as in ebm train.
func dataDirFlag(fs *flagSet) *string {
	return fs.String("data_dir", os.Getenv(mnist.EnvVar), dataDirHelp)
}

const dataDirHelp = "the data set: an IDX folder (MNIST, Fashion-MNIST, ...) or an image folder (train/<class>/*.png) (default $" + mnist.EnvVar + ")"

// startFlag is --chain_start of the commands that start chains from
// noise: "" keeps the run's own.
func startFlag(fs *flagSet) *string {
	return fs.String("chain_start", "", "where the chains start: uniform (noise in [-1,1]) or class_gauss (Gaussians fitted to each class of --data_dir's training images; inpainting's hidden half from them given the visible half) (default: the run's --chain_start)")
}

// checkStart refuses a --chain_start that names no law.
func checkStart(name string) error {
	if name != "" && !slices.Contains(train.ChainStarts, name) {
		return fmt.Errorf("--chain_start = %q: want one of %v", name, train.ChainStarts)
	}
	return nil
}

// chainFlags are the flags of the commands that run a checkpoint's model:
// which weights, and the SGLD dynamics and randomness of its chains.
type chainFlags struct {
	weights      *string
	alpha, sigma *float64
	seed         *uint64
	workers      *int
}

func addChainFlags(fs *flagSet) chainFlags {
	return chainFlags{
		weights: fs.String("weights", "", "ema (the run's moving average of the weights) or trained (the optimiser's); default: ema when the checkpoint has one"),
		alpha:   fs.Float64("langevin_alpha", -1, "SGLD step size (default: the run's)"),
		sigma:   fs.Float64("langevin_sigma", -1, "SGLD noise scale (default: the run's)"),
		seed:    fs.Uint64("seed", 1, "random seed"),
		workers: fs.Int("workers", 0, "worker goroutines (0: one per core); results do not depend on it"),
	}
}

// load reads the checkpoint and selects its weights.
func (c chainFlags) load(path string) (*train.Checkpoint, error) {
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if err := ck.UseWeights(*c.weights); err != nil {
		return nil, err
	}
	return ck, nil
}

// evalOptions are the evaluation options of ck: the run's dynamics and
// chain length, with the flags' dynamics, seed and workers over them.
func (c chainFlags) evalOptions(ck *train.Checkpoint) eval.Options {
	o := eval.DefaultOptions(ck)
	o.Dynamics.Alpha, o.Dynamics.Sigma = c.dynamics(ck.Recipe)
	o.Dynamics.Workers, o.Dynamics.Seed = *c.workers, *c.seed
	return o
}

// dynamics returns alpha and sigma: the flags' where given, else the run's.
func (c chainFlags) dynamics(r train.Recipe) (alpha, sigma float32) {
	d := r.Dynamics()
	if *c.alpha >= 0 {
		d.Alpha = float32(*c.alpha)
	}
	if *c.sigma >= 0 {
		d.Sigma = float32(*c.sigma)
	}
	return d.Alpha, d.Sigma
}
