package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/internal/atomicfile"
	"github.com/ebm-project/ebm/kernels"
)

func cmdClassifier(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classifier", stderr)
	out := fs.String("out", "", "file to write the classifier to (eval/fixed_classifier.bin to replace the judge)")
	dataDir := dataDirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, *out); err != nil {
		return err
	}
	data, err := evalData(*dataDir, "", 0, false)
	if err != nil {
		return err
	}
	m, acc, err := eval.TrainClassifier(data.Train, data.Test, func(epoch int, acc float64) {
		fmt.Fprintf(stderr, "epoch %d: test accuracy %.4f\n", epoch, acc)
	})
	if err != nil {
		return err
	}
	r := eval.ClassifierRecipe
	b, err := eval.EncodeClassifier(m, eval.ClassifierInfo{Arch: r.Arch, Epochs: r.Epochs, Seed: r.Seed, TestAcc: acc, Kernels: kernels.Active()})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, b); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	sum := sha256.Sum256(b)
	fmt.Fprintf(stdout, "test accuracy %.4f; wrote %s (SHA-256 %s)\n", acc, *out, hex.EncodeToString(sum[:]))
	return nil
}
