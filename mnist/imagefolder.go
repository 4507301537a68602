package mnist

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Limits on an image folder: what one machine's memory can hold as bytes.
const (
	maxImageSide   = 1024
	maxFolderBytes = 4 << 30
)

// openImageFolder reads torchvision's ImageFolder layout: dir/train/<class>
// and dir/test/<class>, PNG files in each. Classes are the train folder's
// subfolders in sorted order (as torchvision numbers them), the images
// interleaved across classes; every image has the size of the first; the
// set is grey when every image is grey, RGB otherwise (alpha is dropped).
func openImageFolder(dir string) (*Data, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "train"))
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	slices.Sort(classes)
	if len(classes) < 2 || len(classes) > 256 {
		return nil, fmt.Errorf("mnist: %s: %d class folders under train/: want 2 to 256", dir, len(classes))
	}
	f := &folderReader{dir: dir, classes: classes}
	var imgs [2][]image.Image
	var labels [2][]uint8
	for s, split := range []string{"train", "test"} {
		if imgs[s], labels[s], err = f.split(split); err != nil {
			return nil, err
		}
		imgs[s], labels[s] = interleave(imgs[s], labels[s], len(classes))
		if len(imgs[s]) == 0 {
			return nil, fmt.Errorf("mnist: %s: no PNG image under %s/", dir, split)
		}
	}
	channels := 1
	for _, split := range imgs {
		for _, im := range split {
			if !grey(im) {
				channels = 3
			}
		}
	}
	d := &Data{Name: filepath.Base(filepath.Clean(dir))}
	b := f.first.Bounds()
	for s, out := range []**Dataset{&d.Train, &d.Test} {
		ds := &Dataset{N: len(imgs[s]), Rows: b.Dy(), Cols: b.Dx(), Channels: channels, Labels: labels[s], Classes: classes}
		ds.Pixels = make([]uint8, 0, ds.N*ds.Dim())
		for _, im := range imgs[s] {
			ds.Pixels = appendPixels(ds.Pixels, im, channels)
		}
		*out = ds
	}
	d.Note = fmt.Sprintf("%s: an image folder, %d train and %d test images of %v, %d classes (%s)", dir, d.Train.N, d.Test.N, d.Train.Shape(), len(classes), strings.Join(classes, ", "))
	return d, nil
}

// folderReader decodes a split's images, checking each against the first.
type folderReader struct {
	dir     string
	classes []string
	first   image.Image
	bytes   int
}

func (f *folderReader) split(split string) ([]image.Image, []uint8, error) {
	var imgs []image.Image
	var labels []uint8
	root := filepath.Join(f.dir, split)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("mnist: %s: an image folder needs train/ and test/: %w", f.dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		label := slices.Index(f.classes, e.Name())
		if label < 0 {
			return nil, nil, fmt.Errorf("mnist: %s: class %q is not among train/'s classes", root, e.Name())
		}
		files, err := filepath.Glob(filepath.Join(root, e.Name(), "*.png"))
		if err != nil {
			return nil, nil, err
		}
		slices.Sort(files)
		for _, p := range files {
			im, err := f.decode(p)
			if err != nil {
				return nil, nil, err
			}
			imgs, labels = append(imgs, im), append(labels, uint8(label))
		}
	}
	return imgs, labels, nil
}

func (f *folderReader) decode(path string) (image.Image, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer r.Close()
	cfg, err := png.DecodeConfig(r)
	if err != nil {
		return nil, &FormatError{path, "not a PNG image: " + err.Error()}
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return nil, &FormatError{path, fmt.Sprintf("%dx%d pixels: want 1 to %d a side", cfg.Width, cfg.Height, maxImageSide)}
	}
	if f.bytes += 3 * cfg.Width * cfg.Height; f.bytes > maxFolderBytes {
		return nil, fmt.Errorf("mnist: %s: more than %d bytes of images", f.dir, maxFolderBytes)
	}
	if _, err := r.Seek(0, 0); err != nil {
		return nil, err
	}
	im, err := png.Decode(r)
	if err != nil {
		return nil, &FormatError{path, "not a PNG image: " + err.Error()}
	}
	if f.first == nil {
		f.first = im
	} else if im.Bounds().Size() != f.first.Bounds().Size() {
		return nil, &FormatError{path, fmt.Sprintf("%v pixels; the set's images are %v", im.Bounds().Size(), f.first.Bounds().Size())}
	}
	return im, nil
}

// grey reports whether every pixel of im has equal red, green and blue.
func grey(im image.Image) bool {
	switch im.(type) {
	case *image.Gray, *image.Gray16:
		return true
	}
	b := im.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := im.At(x, y).RGBA()
			if r != g || g != bl {
				return false
			}
		}
	}
	return true
}

// appendPixels appends im's pixels row by row, channels last.
func appendPixels(dst []uint8, im image.Image, channels int) []uint8 {
	b := im.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(im.At(x, y)).(color.NRGBA)
			if channels == 1 {
				dst = append(dst, c.R)
			} else {
				dst = append(dst, c.R, c.G, c.B)
			}
		}
	}
	return dst
}

// interleave orders the images class by class in turn (the first of each
// class, then the second of each, ...), keeping each class's file order: a
// prefix of the set (a --train_limit, the real.png grid) then holds every
// class, as in MNIST's files, not the first class alone.
func interleave(imgs []image.Image, labels []uint8, classes int) ([]image.Image, []uint8) {
	byClass := make([][]image.Image, classes)
	for i, im := range imgs {
		byClass[labels[i]] = append(byClass[labels[i]], im)
	}
	outI, outL := make([]image.Image, 0, len(imgs)), make([]uint8, 0, len(labels))
	for k := 0; len(outI) < len(imgs); k++ {
		for c, ims := range byClass {
			if k < len(ims) {
				outI, outL = append(outI, ims[k]), append(outL, uint8(c))
			}
		}
	}
	return outI, outL
}
