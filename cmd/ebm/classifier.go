package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/internal/atomicfile"
	"github.com/ebm-project/ebm/kernels"
	"github.com/ebm-project/ebm/mnist"
)

func cmdClassifier(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classifier", stderr)
	out := fs.String("out", "", "file to write the judge to (default: "+eval.JudgeFile+" in --data_dir, where eval looks; eval/judges/<set>.bin to replace a committed one)")
	dataDir := dataDirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	data, err := mnist.Open(*dataDir, false)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(data.Dir, eval.JudgeFile)
	}
	fmt.Fprintf(stderr, "training the judge of %s: %s\n", data.Name, data.Note)
	m, acc, err := eval.TrainClassifier(data.Train, data.Test, func(epoch int, acc float64) {
		fmt.Fprintf(stderr, "epoch %d of %d: test accuracy %.4f\n", epoch, eval.ClassifierRecipe.Epochs, acc)
	})
	if err != nil {
		return err
	}
	r := eval.ClassifierRecipe
	b, err := eval.EncodeClassifier(m, eval.ClassifierInfo{Arch: m.Arch, Epochs: r.Epochs, Seed: r.Seed, TestAcc: acc, Kernels: kernels.Active(),
		Data: data.Name, DataSHA256: data.Test.Fingerprint()})
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
