// Package mnist reads data sets: IDX folders (gzip or raw) as MNIST and
// Fashion-MNIST are published, verified against the published SHA-256 of
// the decompressed bytes when they are a known set (and downloaded when the
// network allows), and image folders in torchvision's ImageFolder layout.
package mnist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// EnvVar names the environment variable with the data folder.
const EnvVar = "EBM_DATA"

// The shape of MNIST and Fashion-MNIST: square images of Side x Side
// pixels, Pixels values each, in Classes classes.
const (
	Side    = 28
	Pixels  = Side * Side
	Classes = 10
)

// Set names a data set and its files.
type Set struct {
	Name    string
	Mirrors []string // base URLs tried in order
	// Files are the SHA-256 of each file's decompressed bytes; Published,
	// for a set whose publisher gives only those, the SHA-256 of each
	// .gz file as published. A file matching either is verified.
	Files, Published map[string]string
	Classes          []string // the labels' names
}

// File names, and the SHA-256 of their decompressed contents.
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

// MNIST is LeCun and Cortes's handwritten digits.
var MNIST = Set{
	Name: "mnist",
	Mirrors: []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
	},
	Files: map[string]string{
		TrainImages: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
		TrainLabels: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
		TestImages:  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
		TestLabels:  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
	},
	Classes: Digits,
}

// FashionMNIST is Zalando's clothing images in the same format.
var FashionMNIST = Set{
	Name:    "fashion-mnist",
	Mirrors: []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
	Files: map[string]string{
		TrainImages: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
		TrainLabels: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
		TestImages:  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
		TestLabels:  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
	},
	Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
}

// KMNIST is Clanuwat et al.'s Kuzushiji-MNIST: ten cursive hiragana, in
// MNIST's layout. Its publisher gives the SHA-256 of the .gz files only;
// these are as torchvision's Ruby port lists them, not checked here
// against the files (none on the project's machines).
var KMNIST = Set{
	Name:    "kmnist",
	Mirrors: []string{"http://codh.rois.ac.jp/kmnist/dataset/kmnist/"},
	Published: map[string]string{
		TrainImages: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
		TrainLabels: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
		TestImages:  "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
		TestLabels:  "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
	},
	Classes: []string{"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"},
}

// Dataset is a whole split in memory, its pixels as the files store them:
// one byte each, a quarter of the memory of floats. Image and Floats give
// them as the models see them, scaled to [-1,1].
type Dataset struct {
	N, Rows, Cols int
	// Channels: 1 for grey (0 means 1, as every IDX set), 3 for RGB,
	// stored last: pixel (r, c) channel k is at (r*Cols+c)*Channels+k.
	Channels int
	Pixels   []uint8 // N x Rows*Cols*Channels, 0 (background) to 255
	Labels   []uint8
	// Classes names each label (nil: the digits 0-9, as MNIST's).
	Classes []string
}

// Shape is an image's size: height, width and channels.
type Shape struct{ Rows, Cols, Channels int }

// Dim is the number of values in one image.
func (s Shape) Dim() int { return s.Rows * s.Cols * s.Channels }

// String is the shape as 28x28x1.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.Rows, s.Cols, s.Channels) }

// MNISTShape is the shape of MNIST's and Fashion-MNIST's images.
var MNISTShape = Shape{Side, Side, 1}

// Shape is the shape of the set's images.
func (d *Dataset) Shape() Shape { return Shape{d.Rows, d.Cols, max(1, d.Channels)} }

// Dim is the number of values in one image.
func (d *Dataset) Dim() int { return d.Shape().Dim() }

// ClassNames names the labels 0, 1, ...
func (d *Dataset) ClassNames() []string {
	if d.Classes != nil {
		return d.Classes
	}
	return Digits
}

// Digits are MNIST's class names.
var Digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// Scale maps a stored pixel to the models' [-1,1].
func Scale(p uint8) float32 { return float32(p)/127.5 - 1 }

// Image writes image i, scaled, into dst (Dim values) and returns dst.
func (d *Dataset) Image(i int, dst []float32) []float32 {
	dim := d.Dim()
	dst = dst[:dim]
	for j, p := range d.Pixels[i*dim : (i+1)*dim] {
		dst[j] = Scale(p)
	}
	return dst
}

// Floats returns images [lo, hi), scaled, in a new slice.
func (d *Dataset) Floats(lo, hi int) []float32 {
	dim := d.Dim()
	out := make([]float32, (hi-lo)*dim)
	for j, p := range d.Pixels[lo*dim : hi*dim] {
		out[j] = Scale(p)
	}
	return out
}

// Shift writes src (an image of shape s, background -1) moved down by dy
// and right by dx pixels into dst; pixels moved in from outside are
// background, in every channel.
func Shift(dst, src []float32, s Shape, dy, dx int) {
	ch := s.Channels
	for r := range s.Rows {
		sr := r - dy
		for c := range s.Cols {
			sc := c - dx
			out := dst[(r*s.Cols+c)*ch : (r*s.Cols+c+1)*ch]
			inside := sr >= 0 && sr < s.Rows && sc >= 0 && sc < s.Cols
			for k := range out { // a loop, not copy: one grey value is not worth a call (the training step shifts every image)
				v := float32(-1)
				if inside {
					v = src[(sr*s.Cols+sc)*ch+k]
				}
				out[k] = v
			}
		}
	}
}

// Subset returns the first n examples (sharing memory).
func (d *Dataset) Subset(n int) *Dataset {
	n = min(n, d.N)
	return &Dataset{N: n, Rows: d.Rows, Cols: d.Cols, Channels: d.Channels, Pixels: d.Pixels[:n*d.Dim()], Labels: d.Labels[:n], Classes: d.Classes}
}

// FormatError describes an IDX file that does not parse.
type FormatError struct {
	File, Problem string
}

func (e *FormatError) Error() string { return fmt.Sprintf("mnist: %s: %s", e.File, e.Problem) }

const (
	magicLabels = 0x00000801
	magicImages = 0x00000803
	maxItems    = 1 << 24
)

// ParseIDX decodes an IDX file's bytes (already decompressed): images
// (magic 0x803, N x rows x cols bytes) or labels (magic 0x801, N bytes). The
// header is checked against the data length before anything is allocated.
func ParseIDX(name string, b []byte) (dims []int, data []byte, err error) {
	if len(b) < 8 {
		return nil, nil, &FormatError{name, fmt.Sprintf("%d bytes is too short for an IDX header", len(b))}
	}
	magic := binary.BigEndian.Uint32(b)
	var nd int
	switch magic {
	case magicLabels:
		nd = 1
	case magicImages:
		nd = 3
	default:
		return nil, nil, &FormatError{name, fmt.Sprintf("magic number 0x%08x: want 0x%08x (labels) or 0x%08x (images)", magic, magicLabels, magicImages)}
	}
	hdr := 4 + 4*nd
	if len(b) < hdr {
		return nil, nil, &FormatError{name, fmt.Sprintf("%d bytes is too short for a %d-dimensional header", len(b), nd)}
	}
	total := 1
	for i := range nd {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d == 0 || d > maxItems {
			return nil, nil, &FormatError{name, fmt.Sprintf("dimension %d = %d: out of range", i, d)}
		}
		dims = append(dims, int(d))
		total *= int(d)
		if total > 1<<31 {
			return nil, nil, &FormatError{name, fmt.Sprintf("dimensions %v: more than 2^31 values", dims)}
		}
	}
	if got := len(b) - hdr; got != total {
		return nil, nil, &FormatError{name, fmt.Sprintf("dimensions %v need %d data bytes, file has %d (truncated or padded)", dims, total, got)}
	}
	return dims, b[hdr:], nil
}

// readFile returns the decompressed bytes of dir/name or dir/name.gz, and
// the SHA-256 of the file as stored.
func readFile(dir, name string) (string, []byte, string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return p, nil, "", fmt.Errorf("mnist: %w", err) // *PathError: names the file
		}
		defer f.Close()
		size := sizeHint(f)
		stored := sha256.New()
		var r io.Reader = bufio.NewReader(io.TeeReader(f, stored))
		head, _ := r.(*bufio.Reader).Peek(2)
		if bytes.Equal(head, []byte{0x1f, 0x8b}) {
			gz, err := gzip.NewReader(r)
			if err != nil {
				return p, nil, "", &FormatError{p, "bad gzip header: " + err.Error()}
			}
			r = gz
		}
		// Read into a buffer of the right size: growing one as it fills
		// would leave twice the data behind as garbage.
		buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		if _, err := buf.ReadFrom(io.LimitReader(r, 1<<30)); err != nil {
			return p, nil, "", &FormatError{p, "reading: " + err.Error()}
		}
		// The rest of the file (a gzip trailer a reader may leave unread)
		// belongs to the stored file's hash.
		if _, err := io.Copy(stored, f); err != nil {
			return p, nil, "", &FormatError{p, "reading: " + err.Error()}
		}
		return p, buf.Bytes(), hex.EncodeToString(stored.Sum(nil)), nil
	}
	return filepath.Join(dir, name+".gz"), nil, "", os.ErrNotExist
}

// sizeHint is the size of f's contents: a gzip file's trailer holds it
// (mod 2^32), a raw file's size is it. It only sizes a buffer.
func sizeHint(f *os.File) int {
	st, err := f.Stat()
	if err != nil || st.Size() < 4 {
		return 0
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], st.Size()-4); err != nil {
		return 0
	}
	var head [2]byte
	if _, err := f.ReadAt(head[:], 0); err == nil && head == [2]byte{0x1f, 0x8b} {
		return int(binary.LittleEndian.Uint32(tail[:]))
	}
	return int(st.Size())
}

// verify checks the SHA-256 of the decompressed bytes.
func verify(path string, b []byte, stored string, set Set, name string) error {
	if want := set.Published[name]; want != "" && stored == want {
		return nil
	}
	want := set.Files[name]
	if want == "" {
		return &FormatError{path, fmt.Sprintf("SHA-256 of the file is %s, want %s (corrupt, recompressed or a different file)", stored, set.Published[name])}
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return &FormatError{path, fmt.Sprintf("SHA-256 of the decompressed data is %s, want %s (corrupt or a different file)", got, want)}
	}
	return nil
}

// Load reads one split ("train" or "test") of set from dir. Missing files
// are downloaded when download is true and a mirror answers.
func Load(set Set, dir, split string, download bool) (*Dataset, error) {
	imgName, lblName := TrainImages, TrainLabels
	switch split {
	case "train":
	case "test":
		imgName, lblName = TestImages, TestLabels
	default:
		return nil, fmt.Errorf("mnist: split %q: want train or test", split)
	}
	if dir == "" {
		return nil, fmt.Errorf("mnist: no data folder given: pass --data_dir or set %s", EnvVar)
	}
	read := func(name string) ([]byte, error) {
		path, b, stored, err := readFile(dir, name)
		if errors.Is(err, os.ErrNotExist) {
			if !download {
				return nil, missingError(set, dir, name)
			}
			if b, stored, err = fetch(set, dir, name); err != nil {
				return nil, err
			}
			path = filepath.Join(dir, name+".gz")
		} else if err != nil {
			return nil, err // readFile's errors name the file
		}
		if err := verify(path, b, stored, set, name); err != nil {
			return nil, err
		}
		return b, nil
	}
	ib, err := read(imgName)
	if err != nil {
		return nil, err
	}
	lb, err := read(lblName)
	if err != nil {
		return nil, err
	}
	d, err := fromIDX(filepath.Join(dir, imgName), ib, filepath.Join(dir, lblName), lb)
	if err != nil {
		return nil, err
	}
	d.Classes = set.Classes
	if d.Classes == nil {
		d.Classes = Digits
	}
	for i, l := range d.Labels {
		if int(l) >= len(d.Classes) {
			return nil, &FormatError{filepath.Join(dir, lblName), fmt.Sprintf("label %d at index %d: want 0-%d", l, i, len(d.Classes)-1)}
		}
	}
	return d, nil
}

func missingError(set Set, dir, name string) error {
	return fmt.Errorf("mnist: %s not found in %s: put the four %s IDX files (.gz or raw) there, or allow downloading", name+".gz", dir, set.Name)
}

// Batches yields minibatch index sets over n examples in an order shuffled by
// rng; the last partial batch is dropped when dropLast is true.
func Batches(n, size int, rng *rand.Rand, dropLast bool) [][]int {
	perm := rng.Perm(n)
	var out [][]int
	for lo := 0; lo < n; lo += size {
		hi := min(n, lo+size)
		if hi-lo < size && dropLast {
			break
		}
		out = append(out, perm[lo:hi])
	}
	return out
}

// Fingerprint is the SHA-256 of the set's shape, pixels and labels: the
// same images in the same order give the same fingerprint, from any files.
func (d *Dataset) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%v %d\n", d.Shape(), d.N)
	h.Write(d.Pixels[:d.N*d.Dim()])
	h.Write(d.Labels[:d.N])
	return hex.EncodeToString(h.Sum(nil))
}
