// Command ebm trains, samples, evaluates and benchmarks joint energy-based
// models on MNIST. Run `ebm help` for the commands; each command is one
// file of this folder.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/train"
)

// command is one `ebm NAME`: the table below makes the usage text, the
// dispatch and the list of names in errors.
type command struct {
	name  string
	args  string // synopsis after the name
	about string
	run   func(args []string, stdout, stderr io.Writer) error
}

// commands is filled in init: each command's flags name the command, so a
// package-level initialiser would refer to itself.
var commands []command

func init() {
	commands = []command{
		{"train", "[flags]", "train a model: every flag is a setting of its recipe or of this run's options", cmdTrain},
		{"sample", "--checkpoint F --out grid.png [flags]", "draw Langevin samples from noise", cmdSample},
		{"eval", "--checkpoint F --out eval.json [--report report.html] [flags]", "evaluate a checkpoint: figures as JSON, a report page", cmdEval},
		{"inpaint", "--checkpoint F --out grid.png [flags]", "fill the hidden lower half of test digits by Langevin dynamics", cmdInpaint},
		{"classifier", "--out F [flags]", "train the fixed judge classifier that eval uses", cmdClassifier},
		{"info", "[--json] [--estimate]", "CPU features and the kernels chosen; with --estimate, how long the default and --preset conv train here", cmdInfo},
		{"bench", "[--json] [flags]", "time training iterations of the original configuration", cmdBench},
		{"export", "--checkpoint F --out model.safetensors", "write the model for PyTorch: the original EnergyNet's names and layouts, as safetensors", cmdExport},
		{"import", "--weights model.safetensors --out_dir DIR", "make a run folder from a PyTorch EnergyNet saved as safetensors", cmdImport},
		{"serve", "[--addr 127.0.0.1:8080] [--runs runs] [flags]", "the web app: runs, live training, drawing, dreams, inpainting, evaluation", cmdServe},
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // the usage was asked for and printed
		}
		fmt.Fprintln(os.Stderr, "ebm: "+oneLine(err))
		if errors.Is(err, train.ErrInterrupted) {
			os.Exit(130)
		}
		os.Exit(2)
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func usage() string {
	var b strings.Builder
	b.WriteString("ebm: joint energy-based models on MNIST, trained with Langevin dynamics.\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  ebm %-10s %s\n  %14s %s\n", c.name, c.args, "", c.about)
	}
	b.WriteString("\nebm COMMAND -h lists a command's flags.\n")
	return b.String()
}

func run(args []string, stdout, stderr io.Writer) error {
	if err := kernels.EnvError(); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errors.New("no command given")
	}
	var names []string
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
		names = append(names, c.name)
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	return fmt.Errorf("unknown command %q (want %s)", args[0], strings.Join(names, ", "))
}
