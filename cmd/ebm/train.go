package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ebm-project/ebm/train"
)

// cmdTrain: every setting of the recipe and the options is a flag of the
// same name (train.Settings); the given recipe flags go over the preset, or
// are checked against the checkpoint on --resume.
func cmdTrain(args []string, _, stderr io.Writer) error {
	recipe, opts := train.DefaultRecipe(), train.DefaultOptions()
	fs := newFlags("train", stderr)
	fs.renamed = map[string]string{"ema": "ema_decay"}
	isRecipe := map[string]bool{}
	for _, s := range train.Settings(&recipe) {
		fs.Var(s, s.Key, s.Help)
		isRecipe[s.Key] = true
	}
	for _, s := range train.Settings(&opts) {
		fs.Var(s, s.Key, s.Help)
	}
	var presets string
	for _, p := range train.Presets {
		presets += "; " + p.Name + ": " + p.Help
	}
	preset := fs.String("preset", "default", "starting recipe, other flags override it"+presets)
	resume := fs.Bool("resume", false, "continue the run in --out_dir from its checkpoint (--epochs may be raised)")
	if err := parse(fs, args); err != nil {
		return err
	}
	job := train.Job{Given: map[string]string{}, Resume: *resume, Options: opts, Console: stderr}
	fs.Visit(func(f *flag.Flag) {
		switch {
		case isRecipe[f.Name]:
			job.Given[f.Name] = f.Value.String()
		case f.Name == "preset":
			job.Preset = *preset
		}
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return train.Execute(ctx, job)
}
