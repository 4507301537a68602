package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
)

// evalSets say which data an evaluating command reads.
type evalSets struct {
	dataDir, judge, oodDirs string
	testLimit               int // use the first N test images of every set (0: all)
}

// addEvalFlags declares the data flags of the commands that score a model.
func addEvalFlags(fs *flagSet, ood bool) *evalSets {
	e := &evalSets{}
	fs.StringVar(&e.dataDir, "data_dir", os.Getenv(mnist.EnvVar), dataDirHelp)
	fs.StringVar(&e.judge, "judge", "", "the judge of generated images, a file `ebm classifier` wrote (default: the committed judge of MNIST or Fashion-MNIST, else "+eval.JudgeFile+" in --data_dir)")
	if ood {
		fs.StringVar(&e.oodDirs, "ood_dirs", "", "out-of-distribution data sets, comma-separated folders, reported under their names; none for none (default: Fashion-MNIST for MNIST and MNIST for Fashion-MNIST, from the folder beside --data_dir, if there)")
	}
	return e
}

// open reads the data set, its judge and the out-of-distribution sets, and
// checks that ck is a model of that data.
func (e *evalSets) open(ck *train.Checkpoint, path string) (eval.Data, error) {
	d, err := mnist.Open(e.dataDir, false)
	if err != nil {
		return eval.Data{}, err
	}
	if ck != nil && (ck.Shape() != d.Shape() || ck.Model.Out() != len(d.Classes())) {
		return eval.Data{}, fmt.Errorf("%s: a model of %v images in %d classes; --data_dir %s has %v images in %d: evaluate a model on its own data set", path, ck.Shape(), ck.Model.Out(), e.dataDir, d.Shape(), len(d.Classes()))
	}
	judge, err := eval.FindJudge(d, e.judge)
	if err != nil {
		return eval.Data{}, err
	}
	data := eval.Data{Name: d.Name, Train: d.Train, Test: e.limit(d.Test), Judge: judge}
	dirs, err := e.ood(d)
	if err != nil {
		return eval.Data{}, err
	}
	for _, dir := range dirs {
		o, err := mnist.Open(dir, false)
		if err != nil {
			return eval.Data{}, fmt.Errorf("--ood_dirs: %w", err)
		}
		data.OOD = append(data.OOD, eval.OODSet{Name: o.Name, Test: e.limit(o.Test)})
	}
	return data, nil
}

func (e *evalSets) limit(d *mnist.Dataset) *mnist.Dataset {
	if e.testLimit > 0 {
		return d.Subset(e.testLimit)
	}
	return d
}

// ood lists the out-of-distribution folders: --ood_dirs, or, for a known
// set, the other known sets found beside its folder.
func (e *evalSets) ood(d *mnist.Data) ([]string, error) {
	switch e.oodDirs {
	case "none":
		return nil, nil
	case "":
		return d.Neighbours(), nil
	}
	var dirs []string
	for _, dir := range strings.Split(e.oodDirs, ",") {
		if dir = strings.TrimSpace(dir); dir == "" {
			return nil, fmt.Errorf("--ood_dirs %q: an empty folder name", e.oodDirs)
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}
