package main

import (
	"fmt"
	"os"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/mnist"
)

// evalData loads MNIST (the test set cut to testLimit, 0: all) and, with
// fashion, Fashion-MNIST's test set from fashionDir, or from fashion-mnist
// beside dataDir when that folder exists.
func evalData(dataDir, fashionDir string, testLimit int, fashion bool) (eval.Data, error) {
	if dataDir == "" {
		return eval.Data{}, fmt.Errorf("no data folder: pass --data_dir or set %s", mnist.EnvVar)
	}
	var d eval.Data
	var err error
	if d.Train, err = mnist.Load(mnist.MNIST, dataDir, "train", false); err != nil {
		return d, err
	}
	if d.Test, err = mnist.Load(mnist.MNIST, dataDir, "test", false); err != nil {
		return d, err
	}
	if testLimit > 0 {
		d.Test = d.Test.Subset(testLimit)
	}
	if !fashion {
		return d, nil
	}
	if fashionDir == "" {
		fashionDir = mnist.FashionDir(dataDir)
		if _, err := os.Stat(fashionDir); err != nil {
			return d, nil
		}
	}
	if d.Fashion, err = mnist.Load(mnist.FashionMNIST, fashionDir, "test", false); err != nil {
		return d, err
	}
	if testLimit > 0 {
		d.Fashion = d.Fashion.Subset(testLimit)
	}
	return d, nil
}
