package kernels_test

import (
	"fmt"

	"github.com/ebm-project/ebm/kernels"
)

// C = A*B for row-major 2x3 and 3x2 matrices: strides are the row lengths.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c := make([]float32, 4)
	if err := kernels.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output: [58 64 139 154]
}

// C = A^T*B + C in float64: A is stored 3x2 (so op(A) = A^T is 2x3), and
// beta = 1 adds the product to what C holds.
func ExampleDgemm() {
	a := []float64{1, 4, 2, 5, 3, 6}
	b := []float64{7, 8, 9, 10, 11, 12}
	c := []float64{1, 1, 1, 1}
	if err := kernels.Dgemm(true, false, 2, 2, 3, 1, a, 2, b, 2, 1, c, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output: [59 65 140 155]
}

// Arguments that do not fit are an error naming the argument, not a panic.
func ExampleGemmError() {
	c := make([]float64, 3)
	err := kernels.Dgemm(false, false, 2, 2, 3, 1, make([]float64, 6), 3, make([]float64, 6), 2, 0, c, 2)
	fmt.Println(err)
	// Output: kernels: dgemm: len(c) = 3: slice too short for 2x2 with stride 2 (needs 4)
}

// DgemmParallel splits a large product over goroutines; the result is the
// one Dgemm computes.
func ExampleDgemmParallel() {
	const n = 512
	a, b := make([]float64, n*n), make([]float64, n*n)
	for i := range a {
		a[i], b[i] = float64(i%7), float64(i%5)
	}
	c1, c2 := make([]float64, n*n), make([]float64, n*n)
	_ = kernels.Dgemm(false, false, n, n, n, 1, a, n, b, n, 0, c1, n)
	_ = kernels.DgemmParallel(4, false, false, n, n, n, 1, a, n, b, n, 0, c2, n)
	fmt.Println(c1[n*n-1], c1[n*n-1] == c2[n*n-1])
	// Output: 3066 true
}

// A right factor shared by many products is packed once: SgemmPacked then
// computes what Sgemm would, bit for bit. Pack again after B changes.
func ExampleSgemmPacked() {
	w := []float32{1, 2, 3, 4, 5, 6} // 3x2: a layer's weights, In x Out
	var packed kernels.PackedB
	if err := packed.Pack(false, 3, 2, w, 2); err != nil {
		fmt.Println(err)
		return
	}
	y := make([]float32, 2)
	for _, x := range [][]float32{{1, 0, 0}, {1, 1, 1}} {
		if err := kernels.SgemmPacked(1, 1, x, 3, &packed, 0, y, 2); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(y)
	}
	// Output:
	// [1 2]
	// [9 12]
}

// A 2x2 convolution of a 3x3 one-channel image with 2 output channels, as
// a product: each output pixel's patch is two runs of 2 pixels, one image
// row apart (a skip of 1), read where it lies.
func ExampleSgemmGathered() {
	image := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	// Patch values in order (ky, kx): row 0 of the weights weighs the
	// top-left pixel. Channel 0 sums the patch, channel 1 takes its top-left.
	w := []float32{1, 1, 1, 0, 1, 0, 1, 0} // 4x2
	var packed kernels.PackedB
	if err := packed.Pack(false, 4, 2, w, 2); err != nil {
		fmt.Println(err)
		return
	}
	patches := kernels.Gathered{X: image, Rows: []int{0, 1, 3, 4}, Run: 2, Skip: 1}
	y := make([]float32, 4*2) // 2x2 output pixels, 2 channels
	if err := kernels.SgemmGathered(1, patches, &packed, 0, y, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y)
	// Output:
	// [12 1 16 2 24 4 28 5]
}
