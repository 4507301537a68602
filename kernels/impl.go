package kernels

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/klauspost/cpuid/v2"
)

// impl is one implementation of the kernels. Every implementation registers
// itself at init; only those whose CPU features are present may be used.
type impl struct {
	name     string
	rank     int      // preference when several are available: highest wins
	features []string // CPU features the assembly requires, as cpuid names them
	missing  func() string

	sgemm  *gemmImpl[float32]
	dgemm  *gemmImpl[float64]
	eluFwd func(y, x []float32, alpha float32)
	eluBwd func(dx, dy, y []float32, alpha float32)

	adam      func(p, m, v, g []float32, s AdamScalars)
	add       func(dst, src []float32)
	normal    func(dst []float32, key uint64, stream uint32, ctr uint64)
	noisyStep func(x, g []float32, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)
}

// registry lists the compiled-in implementations. Files add to it from
// package-level variable initialisers, which all run before init.
var registry []*impl

func register(im *impl) *impl {
	registry = append(registry, im)
	return im
}

// missingFeatures returns the names of ids the CPU (and OS) lacks.
func missingFeatures(ids ...cpuid.FeatureID) string {
	var miss []string
	for _, id := range ids {
		if !cpuid.CPU.Supports(id) {
			miss = append(miss, id.String())
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return "CPU lacks " + strings.Join(miss, ", ")
}

var active atomic.Pointer[impl]

// EnvVar names the environment variable that forces an implementation.
const EnvVar = "EBM_KERNELS"

func init() {
	slices.SortFunc(registry, func(a, b *impl) int { return a.rank - b.rank })
	best := registry[0]
	for _, im := range registry {
		if im.missing() == "" {
			best = im
		}
	}
	active.Store(best)
	if name := os.Getenv(EnvVar); name != "" {
		if err := Use(name); err != nil {
			// Library init cannot return an error; the choice stays the
			// best available and the reason is reported by Info.
			envErr = err
		}
	}
}

var envErr error

// EnvError reports why the EBM_KERNELS setting was not applied, or nil.
// Commands should call it at start-up and stop on a non-nil result.
func EnvError() error { return envErr }

func lookup(name string) *impl {
	for _, im := range registry {
		if im.name == name {
			return im
		}
	}
	return nil
}

// Use selects the implementation by name ("generic", "avx2", "avx512",
// "neon"). It fails if the name is unknown or the CPU lacks its features.
// It is meant for start-up and tests: calls in flight keep the
// implementation they started with.
func Use(name string) error {
	im := lookup(name)
	if im == nil {
		return fmt.Errorf("kernels: unknown implementation %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if why := im.missing(); why != "" {
		return fmt.Errorf("kernels: implementation %q unavailable: %s", name, why)
	}
	active.Store(im)
	return nil
}

// Active returns the name of the implementation in use.
func Active() string { return active.Load().name }

// Names lists every implementation compiled into this binary.
func Names() []string {
	var out []string
	for _, im := range registry {
		out = append(out, im.name)
	}
	return out
}

// Implementation describes one compiled-in implementation.
type Implementation struct {
	Name      string   `json:"name"`
	Requires  []string `json:"requires"`
	Available bool     `json:"available"`
	Reason    string   `json:"reason,omitempty"` // why it is unavailable
	Tile      string   `json:"tile"`             // SGEMM micro-kernel register tile, MRxNR
	DgemmTile string   `json:"dgemm_tile"`       // DGEMM's
}

// Info reports what the CPU offers and which implementation is chosen.
type Info struct {
	CPU             string           `json:"cpu"`
	Features        []string         `json:"features"`
	Active          string           `json:"active"`
	Implementations []Implementation `json:"implementations"`
	EnvOverride     string           `json:"env_override,omitempty"`
	EnvError        string           `json:"env_error,omitempty"`
}

// Describe returns the CPU features seen and the implementation choice.
func Describe() Info {
	info := Info{CPU: cpuid.CPU.BrandName, Active: Active(), EnvOverride: os.Getenv(EnvVar)}
	info.Features = cpuid.CPU.FeatureSet()
	slices.Sort(info.Features)
	if envErr != nil {
		info.EnvError = envErr.Error()
	}
	for _, im := range registry {
		why := im.missing()
		info.Implementations = append(info.Implementations, Implementation{
			Name: im.name, Requires: im.features, Available: why == "", Reason: why,
			Tile:      fmt.Sprintf("%dx%d", im.sgemm.mr, im.sgemm.nr),
			DgemmTile: fmt.Sprintf("%dx%d", im.dgemm.mr, im.dgemm.nr),
		})
	}
	return info
}
