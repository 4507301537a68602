package eval

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// A judge is a plain classifier of one data set, trained with
// cross-entropy only by `ebm classifier` (ClassifierRecipe). It scores
// generated images: FID features, conditional accuracy, class coverage,
// inpainting. The known sets' judges are committed and embedded, so every
// evaluation of those sets uses the same judge; any other set's judge is
// a file beside its data (JudgeFile) or named by --judge.
type Judge struct {
	Net  *nn.Net
	Info ClassifierInfo
}

// ClassifierInfo is the header of a classifier file.
type ClassifierInfo struct {
	nn.Arch
	Epochs  int     `json:"epochs"`
	Seed    uint64  `json:"seed"`
	TestAcc float64 `json:"test_acc"`
	Kernels string  `json:"kernels"`
	// Data names the data set the judge learnt, and DataSHA256 is its test
	// set's mnist.Dataset.Fingerprint, so a judge is never used on another
	// set of the same shape (absent from the MNIST judge, made before them).
	Data       string `json:"data,omitempty"`
	DataSHA256 string `json:"data_sha256,omitempty"`
}

// JudgeFile is where `ebm classifier` writes a data set's judge by
// default, and where evaluation looks for it: in the data set's folder.
const JudgeFile = "judge.ebmclf"

//go:embed judges/*.bin
var embedded embed.FS

// EmbeddedJudges are the SHA-256 of the committed judges, by the known data
// set they judge (file judges/<set>.bin).
var EmbeddedJudges = map[string]string{
	mnist.MNIST.Name:        "f94462f84440980aef02d4b6773ea4db3f3b1ec575cd2cb626fc1f03bc4440e1",
	mnist.FashionMNIST.Name: "0a499b1297d34881309fecb3c815d36f7f6f7d48a6ee0cb4560bd3a3b526e569",
}

// EmbeddedJudge returns the committed judge of the known set, after
// checking its SHA-256; fs.ErrNotExist when there is none.
func EmbeddedJudge(set string) (*Judge, error) {
	want, ok := EmbeddedJudges[set]
	if !ok {
		return nil, fmt.Errorf("eval: no committed judge of %q: %w", set, fs.ErrNotExist)
	}
	b, err := embedded.ReadFile("judges/" + set + ".bin")
	if err != nil {
		return nil, fmt.Errorf("eval: committed judge of %q: %w", set, err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("eval: committed judge of %q has SHA-256 %s, want %s (rebuild it with `ebm classifier`)", set, got, want)
	}
	return DecodeClassifier(b)
}

// FindJudge returns the judge for data: the file at path if one is given,
// else the committed judge of a verified known set, else JudgeFile in the
// data set's folder. A missing judge is an error that says how to make one;
// a judge of other images, or of another data set, is refused.
func FindJudge(data *mnist.Data, path string) (*Judge, error) {
	var j *Judge
	var err error
	switch {
	case path != "":
		j, err = ReadJudge(path)
	case EmbeddedJudges[data.Verified] != "":
		j, err = EmbeddedJudge(data.Verified)
	default:
		path = filepath.Join(data.Dir, JudgeFile)
		j, err = ReadJudge(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("eval: data set %q has no judge (no %s): train one with `ebm classifier --data_dir %s`, or name one with --judge", data.Name, path, data.Dir)
		}
	}
	if err != nil {
		return nil, err
	}
	s, classes := data.Test.Shape(), len(data.Test.ClassNames())
	if j.Net.In() != s.Dim() || j.Net.Out() != classes {
		return nil, fmt.Errorf("eval: judge %v takes %d values in %d classes; data set %q has %v images in %d", j.Info.Arch, j.Net.In(), j.Net.Out(), data.Name, s, classes)
	}
	if j.Info.DataSHA256 != "" && j.Info.DataSHA256 != data.Test.Fingerprint() {
		return nil, fmt.Errorf("eval: the judge (%s) learnt data set %q, whose test images are not those of %q (%s)", path, j.Info.Data, data.Name, data.Dir)
	}
	return j, nil
}

// ReadJudge reads a classifier file.
func ReadJudge(path string) (*Judge, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: judge: %w", err)
	}
	j, err := DecodeClassifier(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

const clfMagic = "EBMCLF1\n"

// EncodeClassifier serialises a classifier with its header.
func EncodeClassifier(m *nn.Net, info ClassifierInfo) ([]byte, error) {
	var b bytes.Buffer
	js, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	b.WriteString(clfMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(js)))
	b.Write(js)
	for _, p := range m.Params() {
		binary.Write(&b, binary.LittleEndian, p)
	}
	return b.Bytes(), nil
}

// DecodeClassifier reads what EncodeClassifier wrote.
func DecodeClassifier(data []byte) (*Judge, error) {
	var info ClassifierInfo
	r := bytes.NewReader(data)
	magic := make([]byte, len(clfMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != clfMagic {
		return nil, fmt.Errorf("eval: not a classifier file (bad magic)")
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<20 {
		return nil, fmt.Errorf("eval: classifier: bad header length")
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return nil, fmt.Errorf("eval: classifier: truncated header")
	}
	if err := json.Unmarshal(js, &info); err != nil {
		return nil, fmt.Errorf("eval: classifier header: %w", err)
	}
	m, err := nn.New(info.Arch, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range m.Params() {
		if err := binary.Read(r, binary.LittleEndian, p); err != nil {
			return nil, fmt.Errorf("eval: classifier: truncated weights")
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("eval: classifier: %d trailing bytes", r.Len())
	}
	m.Sync()
	return &Judge{m, info}, nil
}
