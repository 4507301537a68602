package train

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every setting has one name (its JSON key, flag and log key) and a help
// text, and its flag form reads back to the same value.
func TestSettingsRoundTripThroughTheirFlags(t *testing.T) {
	r, o := DefaultRecipe(), DefaultOptions()
	seen := map[string]bool{}
	for _, s := range append(Settings(&r), Settings(&o)...) {
		require.NotEmpty(t, s.Key)
		require.NotEmpty(t, s.Help, s.Key)
		require.False(t, seen[s.Key], "%s named twice", s.Key)
		seen[s.Key] = true
	}
	var r2 Recipe
	for _, s := range Settings(&r) {
		require.NoError(t, Set(&r2, s.Key, s.String()), s.Key)
	}
	require.Equal(t, r, r2)

	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range Settings(&r2) {
		fs.Var(s, s.Key, s.Help)
	}
	require.NoError(t, fs.Parse([]string{"--hidden", "7,8", "--clamp=false", "--class_cond", "--lr", "0.5", "--seed", "9"}))
	require.Equal(t, []int{7, 8}, r2.Hidden)
	require.False(t, r2.Clamp)
	require.True(t, r2.ClassCond)
	require.Equal(t, 0.5, r2.LR)
	require.Equal(t, uint64(9), r2.Seed)
	require.ErrorContains(t, fs.Parse([]string{"--hidden", "7,x"}), "not a list of integers")
	require.ErrorContains(t, Set(&r2, "nope", "1"), "--nope: no such setting")
	require.ErrorContains(t, Set(&r2, "epochs", "1.5"), "--epochs")
}

// docs/training.md lists every setting with the default the code has.
func TestTrainingDocListsEverySettingWithItsDefault(t *testing.T) {
	b, err := os.ReadFile("../docs/training.md")
	require.NoError(t, err)
	documented := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`--") {
			continue
		}
		for _, key := range strings.Split(cells[1], ",") {
			documented[strings.Trim(strings.TrimSpace(key), "`-")] = strings.TrimSpace(cells[2])
		}
	}
	r, o := DefaultRecipe(), DefaultOptions()
	o.DataDir = "`$EBM_DATA`"
	for _, s := range append(Settings(&r), Settings(&o)...) {
		def, ok := documented[s.Key]
		require.True(t, ok, "docs/training.md does not list --%s", s.Key)
		require.Equal(t, s.String(), def, "the documented default of --%s", s.Key)
	}
}
