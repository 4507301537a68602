// Package fakedata writes small synthetic data sets for tests: image
// folders in torchvision's ImageFolder layout whose classes a network can
// tell apart at once.
package fakedata

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Colours are the classes of RGBFolder: class k's images are dim noise
// with channel k%3 bright, and for k >= 3 a bright square in the middle.
var Colours = []string{"red", "green", "blue", "red-square", "green-square", "blue-square"}

// RGBFolder writes train/<class>/*.png and test/<class>/*.png under dir:
// perClass images of rows x cols in each of the first classes of Colours
// (at most 6), from the random seed.
func RGBFolder(dir string, rows, cols, classes, perClass int, seed uint64) error {
	if classes < 1 || classes > len(Colours) {
		return fmt.Errorf("fakedata: %d classes: want 1 to %d", classes, len(Colours))
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, split := range []string{"train", "test"} {
		for ci, class := range Colours[:classes] {
			p := filepath.Join(dir, split, class)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			for i := range perClass {
				im := image.NewNRGBA(image.Rect(0, 0, cols, rows))
				for y := range rows {
					for x := range cols {
						c := [3]uint8{uint8(rng.IntN(60)), uint8(rng.IntN(60)), uint8(rng.IntN(60))}
						square := y >= rows/4 && y < rows-rows/4 && x >= cols/4 && x < cols-cols/4
						if ci < 3 || square {
							c[ci%3] = 200
						}
						im.SetNRGBA(x, y, color.NRGBA{c[0], c[1], c[2], 255})
					}
				}
				f, err := os.Create(filepath.Join(p, fmt.Sprintf("%d.png", i)))
				if err != nil {
					return err
				}
				err = png.Encode(f, im)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}
