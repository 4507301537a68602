package eval

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

// The judge's recipe is reproducible: two trainings on the same images give
// the same weights, and the recipe learns (checked on a 1,000-image subset,
// where the full recipe's 20 epochs take seconds).
func TestJudgeRecipeIsReproducibleAndLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains the judge twice, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	d := loadData(t, false)
	tr, te := d.Train.Subset(1000), d.Test.Subset(500)
	var epochs []int
	m1, acc1, err := TrainClassifier(tr, te, func(epoch int, _ float64) { epochs = append(epochs, epoch) })
	require.NoError(t, err)
	require.Len(t, epochs, ClassifierRecipe.Epochs)
	require.Greater(t, acc1, 0.9)
	m2, acc2, err := TrainClassifier(tr, te, nil)
	require.NoError(t, err)
	require.Equal(t, acc1, acc2)
	require.Equal(t, m1.Params(), m2.Params())
}

// The committed judges are the ones their hashes name, and each classifies
// its data set's test images as its header says.
func TestCommittedJudgesAreIntact(t *testing.T) {
	minAcc := map[string]float64{"mnist": 0.99, "fashion-mnist": 0.91} // a judge that misreads real images caps the conditional accuracy it reports
	for set := range EmbeddedJudges {
		t.Run(set, func(t *testing.T) {
			j, err := EmbeddedJudge(set)
			require.NoError(t, err)
			m, info := j.Net, j.Info
			arch, err := JudgeArch(mnist.MNISTShape, 10)
			require.NoError(t, err)
			require.Equal(t, arch, m.Arch)
			require.Greater(t, info.TestAcc, minAcc[set])

			b, err := EncodeClassifier(m, info)
			require.NoError(t, err)
			j2, err := DecodeClassifier(b)
			require.NoError(t, err)
			require.Equal(t, info, j2.Info)
			require.Equal(t, m.Params(), j2.Net.Params())
			_, err = DecodeClassifier(b[:len(b)-1])
			require.Error(t, err)

			dir := os.Getenv(mnist.EnvVar)
			if dir == "" {
				t.Skipf("%s is not set: no data to check the judge's accuracy on", mnist.EnvVar)
			}
			if set != mnist.MNIST.Name {
				dir = filepath.Join(filepath.Dir(filepath.Clean(dir)), set)
			}
			d, err := mnist.Open(dir, false)
			require.NoError(t, err)
			require.Equal(t, set, d.Verified)
			if info.DataSHA256 != "" {
				require.Equal(t, d.Test.Fingerprint(), info.DataSHA256)
			}
			acc, err := accuracy(m, m.NewWorkspace(500), d.Test)
			require.NoError(t, err)
			require.InDelta(t, info.TestAcc, acc, 0.002, "kernels may round differently; the accuracy may not move")
		})
	}
}
