//go:build !amd64 || noasm || gccgo || safe

package gonumblas

// gonumAssembly: gonum's own routines are plain Go in this build.
const gonumAssembly = false
