// Command colourmnist writes Colour MNIST: MNIST's digits, centred in 32x32
// colour images, each digit and its background drawn in random colours, as
// an image folder in torchvision's ImageFolder layout (train/<digit>/*.png,
// test/<digit>/*.png). It is a 32x32 RGB data set made from data on this
// machine, for trying ebm on colour images:
//
//	cd bench && go run ./colourmnist --mnist $EBM_DATA --out /tmp/colour-mnist
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ebm-project/ebm/mnist"
)

func main() {
	src := flag.String("mnist", os.Getenv(mnist.EnvVar), "MNIST folder")
	out := flag.String("out", "", "folder to write the image folder to")
	seed := flag.Uint64("seed", 1, "seed of the colours")
	flag.Parse()
	if err := run(*src, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "colourmnist:", err)
		os.Exit(1)
	}
}

const side = 32

func run(src, out string, seed uint64) error {
	if out == "" {
		return fmt.Errorf("--out is required")
	}
	d, err := mnist.Open(src, false)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for split, set := range map[string]*mnist.Dataset{"train": d.Train, "test": d.Test} {
		for c := range d.Classes() {
			if err := os.MkdirAll(filepath.Join(out, split, d.Classes()[c]), 0o755); err != nil {
				return err
			}
		}
		for i := range set.N {
			im := colour(set, i, rng)
			p := filepath.Join(out, split, d.Classes()[set.Labels[i]], fmt.Sprintf("%05d.png", i))
			if err := write(p, im); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d images\n", split, set.N)
	}
	return nil
}

// colour draws image i of set: a dark background colour and a bright
// digit colour, mixed by the digit's grey level, 2 pixels of border.
func colour(set *mnist.Dataset, i int, rng *rand.Rand) *image.NRGBA {
	bg := [3]float64{rng.Float64() * 0.35, rng.Float64() * 0.35, rng.Float64() * 0.35}
	fg := [3]float64{0.55 + rng.Float64()*0.45, 0.55 + rng.Float64()*0.45, 0.55 + rng.Float64()*0.45}
	im := image.NewNRGBA(image.Rect(0, 0, side, side))
	pad := (side - set.Rows) / 2
	px := set.Pixels[i*set.Dim() : (i+1)*set.Dim()]
	for y := range side {
		for x := range side {
			t := 0.0
			if r, c := y-pad, x-pad; r >= 0 && r < set.Rows && c >= 0 && c < set.Cols {
				t = float64(px[r*set.Cols+c]) / 255
			}
			var v [3]uint8
			for k := range v {
				v[k] = uint8(255*(bg[k]*(1-t)+fg[k]*t) + 0.5)
			}
			im.SetNRGBA(x, y, color.NRGBA{v[0], v[1], v[2], 255})
		}
	}
	return im
}

func write(path string, im image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, im); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
