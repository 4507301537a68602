package mnist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Data is a data set: its two splits and what was checked of it.
type Data struct {
	Name        string // the known set's name, else the folder's
	Dir         string // the folder it was read from
	Train, Test *Dataset
	// Verified names the known set whose published SHA-256 the files
	// matched ("" when they matched none, or for an image folder).
	Verified string
	// Note says, in one line, what was read and checked: for the log.
	Note string
}

// Shape is the shape of the set's images.
func (d *Data) Shape() Shape { return d.Train.Shape() }

// Classes names the set's labels.
func (d *Data) Classes() []string { return d.Train.ClassNames() }

// Neighbours are the folders of the other known sets beside this one's,
// where they exist: the out-of-distribution sets a known set is compared
// with by default (Fashion-MNIST for MNIST, MNIST for Fashion-MNIST). None
// for a set that is not a known one.
func (d *Data) Neighbours() []string {
	if d.Verified == "" {
		return nil
	}
	var dirs []string
	for _, k := range Known {
		dir := filepath.Join(filepath.Dir(filepath.Clean(d.Dir)), k.Name)
		if k.Name == d.Verified {
			continue
		}
		if _, err := os.Stat(dir); err == nil {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// Known are the IDX sets whose files are verified when a folder holds them.
var Known = []Set{MNIST, FashionMNIST, KMNIST}

// Open reads the data set in dir, deciding by what the folder holds: an
// image folder in torchvision's ImageFolder layout (train/<class>/*.png
// and test/<class>/*.png), or the four IDX files of MNIST's layout. IDX
// files whose SHA-256 matches a known set are verified as that set (one
// that matches some of a set's files but not all is corrupt: an error);
// files that match none are accepted as an unknown set, and Note says so.
// A folder with no data yet gets MNIST (or the known set it is named
// after, fashion-mnist), downloaded and verified, when download is true.
func Open(dir string, download bool) (*Data, error) {
	d, err := open(dir, download)
	if err != nil {
		return nil, err
	}
	d.Dir = dir
	return d, nil
}

func open(dir string, download bool) (*Data, error) {
	if dir == "" {
		return nil, fmt.Errorf("mnist: no data folder given: pass --data_dir or set %s", EnvVar)
	}
	if st, err := os.Stat(filepath.Join(dir, "train")); err == nil && st.IsDir() {
		return openImageFolder(dir)
	}
	name := filepath.Base(filepath.Clean(dir))
	if !holdsIDX(dir) {
		if !download {
			return nil, fmt.Errorf("mnist: %s: neither an image folder (train/<class>/*.png) nor an IDX folder (%s.gz and the other three): put a data set there, or allow downloading MNIST", dir, TrainImages)
		}
		// Nothing here yet: the known set the folder is named after
		// (fashion-mnist), else MNIST, downloaded and verified.
		set := MNIST
		for _, k := range Known {
			if k.Name == name {
				set = k
			}
		}
		return openKnown(set, dir, true)
	}
	return openIDX(dir, name)
}

// holdsIDX reports whether dir has any of the four IDX files.
func holdsIDX(dir string) bool {
	for _, f := range []string{TrainImages, TrainLabels, TestImages, TestLabels} {
		for _, p := range []string{f, f + ".gz"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				return true
			}
		}
	}
	return false
}

// openKnown reads a known set strictly, as Load does.
func openKnown(set Set, dir string, download bool) (*Data, error) {
	train, err := Load(set, dir, "train", download)
	if err != nil {
		return nil, err
	}
	test, err := Load(set, dir, "test", download)
	if err != nil {
		return nil, err
	}
	train.Classes, test.Classes = set.Classes, set.Classes
	return &Data{Name: set.Name, Train: train, Test: test, Verified: set.Name,
		Note: fmt.Sprintf("%s: %s (SHA-256 verified), %d train and %d test images of %v", dir, set.Name, train.N, test.N, train.Shape())}, nil
}

// openIDX reads the four IDX files of dir, whatever set they are.
func openIDX(dir, name string) (*Data, error) {
	files := map[string][]byte{}
	paths, stored := map[string]string{}, map[string]string{}
	for _, f := range []string{TrainImages, TrainLabels, TestImages, TestLabels} {
		p, b, sum, err := readFile(dir, f)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mnist: %s: an IDX folder needs four files: %s.gz (or %s) is missing", dir, f, f)
		}
		if err != nil {
			return nil, err
		}
		files[f], paths[f], stored[f] = b, p, sum
	}
	// Which known set do the files belong to? All four must agree.
	var known *Set
	for i, set := range Known {
		matched := 0
		for f, b := range files {
			if verify(paths[f], b, stored[f], set, f) == nil {
				matched++
			}
		}
		if matched == len(files) {
			known = &Known[i]
			break
		}
		if matched > 0 {
			for f, b := range files {
				if err := verify(paths[f], b, stored[f], set, f); err != nil {
					return nil, fmt.Errorf("%w (the other files are %s's)", err, set.Name)
				}
			}
		}
	}
	split := func(imgs, lbls string) (*Dataset, error) {
		return fromIDX(paths[imgs], files[imgs], paths[lbls], files[lbls])
	}
	train, err := split(TrainImages, TrainLabels)
	if err != nil {
		return nil, err
	}
	test, err := split(TestImages, TestLabels)
	if err != nil {
		return nil, err
	}
	if test.Rows != train.Rows || test.Cols != train.Cols {
		return nil, fmt.Errorf("mnist: %s: train images are %dx%d, test images %dx%d", dir, train.Rows, train.Cols, test.Rows, test.Cols)
	}
	d := &Data{Name: name, Train: train, Test: test}
	if known != nil {
		train.Classes, test.Classes = known.Classes, known.Classes
		d.Verified = known.Name
		d.Note = fmt.Sprintf("%s: %s (SHA-256 verified), %d train and %d test images of %v", dir, known.Name, train.N, test.N, train.Shape())
		return d, nil
	}
	classes := 0
	for _, l := range append(append([]uint8(nil), train.Labels...), test.Labels...) {
		classes = max(classes, int(l)+1)
	}
	names := make([]string, classes)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	train.Classes, test.Classes = names, names
	d.Note = fmt.Sprintf("%s: IDX files of no known set (not verified: their SHA-256 matches none of %s), %d train and %d test images of %v, %d classes",
		dir, knownNames(), train.N, test.N, train.Shape(), classes)
	return d, nil
}

func knownNames() string {
	s := ""
	for i, set := range Known {
		if i > 0 {
			s += ", "
		}
		s += set.Name
	}
	return s
}

// fromIDX pairs an images file with its labels file.
func fromIDX(ipath string, ib []byte, lpath string, lb []byte) (*Dataset, error) {
	idims, pix, err := ParseIDX(ipath, ib)
	if err != nil {
		return nil, err
	}
	ldims, lbl, err := ParseIDX(lpath, lb)
	if err != nil {
		return nil, err
	}
	if len(idims) != 3 || len(ldims) != 1 {
		return nil, fmt.Errorf("mnist: %s holds %d-d data and %s %d-d: expected images and labels", ipath, len(idims), lpath, len(ldims))
	}
	if idims[0] != ldims[0] {
		return nil, fmt.Errorf("mnist: %d images in %s but %d labels in %s", idims[0], ipath, ldims[0], lpath)
	}
	return &Dataset{N: idims[0], Rows: idims[1], Cols: idims[2], Channels: 1, Pixels: pix, Labels: lbl}, nil
}
