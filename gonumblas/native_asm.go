//go:build amd64 && !noasm && !gccgo && !safe

package gonumblas

// gonumAssembly: gonum's own routines run on its amd64 assembly in this
// build (the constraint is gonum's, from its internal/asm packages).
const gonumAssembly = true
