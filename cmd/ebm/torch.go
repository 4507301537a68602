package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/ebm-project/ebm/internal/atomicfile"
	"github.com/ebm-project/ebm/internal/safetensors"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	runfolder "github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// Metadata keys of an exported model: what the weights alone do not say.
const (
	metaFormat = "format" // "ebm EnergyNet"
	metaArch   = "arch"   // the network, as ebm writes it (784-512-512-512-10)
	metaConvs  = "convs"  // --convs: stride and padding of each convolution
	metaShape  = "shape"  // the input image, height x width x channels
	metaRecipe = "recipe" // the run's recipe, as JSON
)

// cmdExport writes a checkpoint's model for PyTorch: the original script's
// EnergyNet names and layouts, in safetensors (no pickle).
func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint file (a run's checkpoint.ebm)")
	out := fs.String("out", "", "safetensors file to write")
	weights := fs.String("weights", "", "ema (the moving average) or trained; default: the moving average when the run kept one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, *ckpt, *out); err != nil {
		return err
	}
	ck, err := train.LoadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	if err := ck.UseWeights(*weights); err != nil {
		return err
	}
	recipe, err := json.Marshal(ck.Recipe)
	if err != nil {
		return err
	}
	a := ck.Model.Arch
	shape := a.Shape
	if len(shape) == 0 {
		shape = []int{mnist.Side, mnist.Side, 1}
	}
	meta := map[string]string{metaFormat: "ebm EnergyNet", metaArch: a.String(), metaShape: formatShape(shape), metaRecipe: string(recipe)}
	if ck.Recipe.Convs != "" {
		meta[metaConvs] = ck.Recipe.Convs
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ck.Model.TorchTensors(), meta); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	which := "trained weights"
	if ck.Averaged() {
		which = "moving average of the weights"
	}
	fmt.Fprintf(stdout, "wrote %s (%s, the %s) to %s\n", a, strings.Join(tensorNames(ck.Model), " "), which, *out)
	return nil
}

func tensorNames(m *nn.Net) []string {
	var names []string
	for _, t := range m.TorchTensors() {
		names = append(names, t.Name)
	}
	return names
}

// maxWeightsFile bounds what import reads: far above any model ebm trains.
const maxWeightsFile = 1 << 30

// cmdImport makes a run folder from a PyTorch EnergyNet saved as
// safetensors, which eval, sample and serve then open.
func cmdImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", stderr)
	weights := fs.String("weights", "", "safetensors file of an EnergyNet state_dict (net.0.weight, net.0.bias, ...)")
	outDir := fs.String("out_dir", "", "run folder to create")
	convs := fs.String("convs", "", "the convolutions' specs, as --convs of ebm train (weights do not hold stride and padding; default: the file's metadata)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, *weights, *outDir); err != nil {
		return err
	}
	st, err := os.Stat(*weights)
	if err != nil {
		return fmt.Errorf("--weights: %w", err)
	}
	if st.Size() > maxWeightsFile {
		return fmt.Errorf("--weights %s: %d bytes, more than the %d an EnergyNet of ebm's sizes takes", *weights, st.Size(), maxWeightsFile)
	}
	b, err := os.ReadFile(*weights)
	if err != nil {
		return fmt.Errorf("--weights: %w", err)
	}
	tensors, meta, err := safetensors.Read(b)
	if err != nil {
		return fmt.Errorf("--weights %s: %w", *weights, err)
	}
	recipe := train.DefaultRecipe()
	if js, ok := meta[metaRecipe]; ok {
		if err := json.Unmarshal([]byte(js), &recipe); err != nil {
			return fmt.Errorf("--weights %s: its recipe: %w", *weights, err)
		}
	}
	if *convs == "" {
		*convs = meta[metaConvs]
	}
	specs, err := nn.ParseConvs(*convs)
	if err != nil {
		return fmt.Errorf("--convs: %w", err)
	}
	shape := []int{mnist.Side, mnist.Side, 1}
	if s, ok := meta[metaShape]; ok {
		if shape, err = parseShape(s); err != nil {
			return fmt.Errorf("--weights %s: shape: %w", *weights, err)
		}
	}
	arch, err := nn.TorchArch(tensors, shape, specs)
	if err != nil {
		return fmt.Errorf("--weights %s: %w", *weights, err)
	}
	if arch.In() != mnist.Pixels || arch.Out() != mnist.Classes {
		return fmt.Errorf("--weights %s: a %v network; ebm opens %d-pixel, %d-class MNIST models (other data sets come with issue 23's data-set redesign)", *weights, arch, mnist.Pixels, mnist.Classes)
	}
	m, err := nn.FromTorch(arch, tensors)
	if err != nil {
		return fmt.Errorf("--weights %s: %w", *weights, err)
	}
	// The recipe describes this network; a file without ebm's metadata
	// gets the default recipe's dynamics. No moving average was kept.
	recipe.Convs, recipe.Hidden = *convs, arch.Sizes[1:len(arch.Sizes)-1]
	recipe.EMADecay, recipe.Epochs = 0, max(recipe.Epochs, 1)
	if ra, err := recipe.Arch(mnist.MNISTShape, mnist.Classes); err != nil || !ra.Equal(arch) {
		return fmt.Errorf("--weights %s: the %v network is not one ebm's recipes describe (--convs and --hidden)", *weights, arch)
	}
	dir := runfolder.Dir(*outDir)
	if _, err := os.Stat(dir.Checkpoint()); err == nil {
		return fmt.Errorf("--out_dir %s already holds a checkpoint: choose another folder", *outDir)
	} else if !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("--out_dir: %w", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("--out_dir: %w", err)
	}
	if err := train.SaveModel(dir.Checkpoint(), recipe, m); err != nil {
		return err
	}
	if err := dir.WriteStatus(runfolder.Status{State: runfolder.Finished, Epochs: recipe.Epochs}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %v from %s into %s\n", arch, *weights, dir.Checkpoint())
	return nil
}

func formatShape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "x")
}

func parseShape(s string) ([]int, error) {
	parts := strings.Split(s, "x")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%q: want height x width x channels", s)
	}
	out := make([]int, 3)
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > 1<<16 {
			return nil, fmt.Errorf("%q: want height x width x channels, each from 1 to 65536", s)
		}
		out[i] = v
	}
	return out, nil
}
