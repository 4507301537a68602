// Package bench holds the side-by-side benchmarks; its tests check ebm
// against its peers (here PyTorch), which the product never depends on.
package bench

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/train"
)

const python = "/usr/bin/python3" // Debian's, where python3-torch installs

// torchScript runs bench/torch_energynet.py and returns the log p(x) it
// prints.
func torchScript(t *testing.T, args ...string) []float64 {
	out, err := exec.Command(python, append([]string{"torch_energynet.py"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("torch_energynet.py %v: %v\n%s", args[0], err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res struct {
		Torch string    `json:"torch"`
		LogPX []float64 `json:"logpx"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	t.Logf("PyTorch %s", res.Torch)
	return res.LogPX
}

// logpx is log p(x) = logsumexp f(x) of each of n images, as ebm computes it.
func logpx(t *testing.T, m *nn.Net, x []float32, n int) []float64 {
	z, err := m.NewWorkspace(n).Forward(x, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for i := range n {
		out[i] = nn.LogSumExp(z[i*m.Out() : (i+1)*m.Out()])
	}
	return out
}

func run(t *testing.T, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// A model goes from ebm to PyTorch (`ebm export`, then EnergyNet's
// load_state_dict with strict=True) and from PyTorch to ebm (a state_dict
// saved as safetensors, then `ebm import`), for the original MLP's layout
// and a convolutional one; both sides give the same log p(x) on the same
// images to 1e-4.
func TestSafetensorsRoundTripWithPyTorch(t *testing.T) {
	if err := exec.Command(python, "-c", "import torch, numpy").Run(); err != nil {
		t.Skip("no PyTorch beside: apt-get install python3-torch (the peer this test compares with)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ebm")
	run(t, "go", "build", "-C", "..", "-o", bin, "./cmd/ebm")
	conv, err := nn.ConvArch(28, 28, 1, []nn.ConvSpec{{Channels: 8, K: 4, Stride: 2, Pad: 1}, {Channels: 16, K: 3, Stride: 2, Pad: 1}}, []int{32}, 10)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 16
	x := make([]float32, n*784)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	inputs := filepath.Join(dir, "inputs.f32")
	raw := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(inputs, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		arch  nn.Arch
		convs string
	}{{"mlp", nn.MLPArch(784, 64, 64, 64, 10), ""}, {"conv", conv, "8c4s2p1,16c3s2p1"}} {
		t.Run(c.name, func(t *testing.T) {
			archJS, _ := json.Marshal(map[string]any{"shape": []int{28, 28, 1}, "convs": torchConvs(c.arch), "sizes": c.arch.Sizes})
			sub := filepath.Join(dir, c.name)

			// ebm -> PyTorch
			m, err := nn.New(c.arch, rng)
			if err != nil {
				t.Fatal(err)
			}
			r := train.DefaultRecipe()
			r.Convs, r.Hidden, r.EMADecay, r.Epochs = c.convs, c.arch.Sizes[1:len(c.arch.Sizes)-1], 0, 1
			ckpt := sub + ".ebm"
			if err := train.SaveModel(ckpt, r, m); err != nil {
				t.Fatal(err)
			}
			run(t, bin, "export", "--checkpoint", ckpt, "--out", sub+"_out.safetensors")
			compare(t, "ebm -> PyTorch", logpx(t, m, x, n), torchScript(t, "load", sub+"_out.safetensors", inputs, string(archJS)))

			// PyTorch -> ebm
			want := torchScript(t, "save", sub+"_in.safetensors", inputs, string(archJS), "7")
			args := []string{"import", "--weights", sub + "_in.safetensors", "--out_dir", filepath.Join(dir, c.name+"_run")}
			if c.convs != "" {
				args = append(args, "--convs", c.convs) // PyTorch's file says no stride or padding
			}
			run(t, bin, args...)
			ck, err := train.LoadCheckpoint(filepath.Join(dir, c.name+"_run", "checkpoint.ebm"))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "PyTorch -> ebm", logpx(t, ck.Model, x, n), want)
		})
	}
}

func torchConvs(a nn.Arch) [][4]int {
	out := [][4]int{}
	for _, c := range a.Convs {
		out = append(out, [4]int{c.Channels, c.K, c.Stride, c.Pad})
	}
	return out
}

func compare(t *testing.T, what string, ebm, torch []float64) {
	if len(ebm) != len(torch) {
		t.Fatalf("%s: %d values from ebm, %d from PyTorch", what, len(ebm), len(torch))
	}
	worst := 0.0
	for i := range ebm {
		worst = math.Max(worst, math.Abs(ebm[i]-torch[i]))
	}
	t.Logf("%s: log p(x) of %d images, largest difference %.2g (ebm %.6f, PyTorch %.6f for the first)", what, len(ebm), worst, ebm[0], torch[0])
	if !(worst <= 1e-4) {
		t.Fatalf("%s: log p(x) differs by %.3g > 1e-4", what, worst)
	}
}
