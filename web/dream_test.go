package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

func dreamStream(t *testing.T, url string, q any) (*http.Response, error) {
	js, err := json.Marshal(q)
	require.NoError(t, err)
	return http.Post(url, "application/json", strings.NewReader(string(js)))
}

// A dream streams a header, the starting frame and one frame per stride of
// steps, each with every chain's pixels and energy, then done.
func TestDreamStreamsEveryFrame(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	class := 3
	res, err := dreamStream(t, ts.URL+"/api/runs/tiny/dream", dreamRequest{Chains: 5, Steps: 12, Frames: 4, Class: &class, Seed: 7})
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	got := lines(t, res.Body)
	require.Len(t, got, 1+5+1, "header, frame 0 and 4 frames of 3 steps, done")
	require.EqualValues(t, 3, got[0]["steps_per_frame"])
	for f, m := range got[1:6] {
		require.EqualValues(t, f, m["frame"])
		require.EqualValues(t, 3*f, m["step"])
		px, err := base64.StdEncoding.DecodeString(m["pixels"].(string))
		require.NoError(t, err)
		require.Len(t, px, 5*mnist.Pixels)
		require.Len(t, m["energies"], 5)
	}
	require.Equal(t, true, got[6]["done"])
}

// A run trained from class Gaussians dreams from them: frame 0 is their
// draws (MNIST's corner pixel is -1 in every digit, so in every draw, but
// anywhere in uniform noise); a run trained from noise dreams from noise.
func TestDreamStartsWhereTheRunsChainsStarted(t *testing.T) {
	for _, c := range []struct {
		runs, name, start string
	}{{gaussRuns.get(t, "tinygauss", map[string]string{"chain_start": "class_gauss"}), "tinygauss", "class_gauss"}, {fixture(t), "tiny", "uniform"}} {
		_, ts := newTestServer(t, c.runs)
		res, err := dreamStream(t, ts.URL+"/api/runs/"+c.name+"/dream", dreamRequest{Chains: 16, Steps: 1, Frames: 1, Seed: 3})
		require.NoError(t, err)
		got := lines(t, res.Body)
		res.Body.Close()
		require.Equal(t, c.start, got[0]["chain_start"])
		px, err := base64.StdEncoding.DecodeString(got[1]["pixels"].(string))
		require.NoError(t, err)
		dark := 0
		for i := range 16 {
			if px[i*mnist.Pixels] <= 2 {
				dark++
			}
		}
		if c.start == "class_gauss" {
			require.Equal(t, 16, dark, "every draw's corner is dark")
		} else {
			require.Less(t, dark, 4, "noise's corners are anything")
		}
	}
}

// Inpainting moves only the masked pixels; the others keep the image's.
func TestInpaintingMovesOnlyTheMask(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	start, mask := blank(), make([]bool, mnist.Pixels)
	for i := range start {
		start[i] = float32(i%255)/127 - 1
	}
	for i := 400; i < mnist.Pixels; i++ {
		mask[i] = true
	}
	res, err := dreamStream(t, ts.URL+"/api/runs/tiny/dream", dreamRequest{Chains: 2, Steps: 4, Frames: 2, Start: start, Mask: mask, Seed: 1})
	require.NoError(t, err)
	defer res.Body.Close()
	got := lines(t, res.Body)
	last := got[len(got)-2]
	px, _ := base64.StdEncoding.DecodeString(last["pixels"].(string))
	moved := 0
	for c := range 2 {
		for i := range mnist.Pixels {
			want := byte((float64(start[i]) + 1) * 127.5)
			d := int(px[c*mnist.Pixels+i]) - int(want)
			if !mask[i] {
				require.LessOrEqual(t, d*d, 1, "pixel %d is not masked and must not move", i)
			} else if d*d > 1 {
				moved++
			}
		}
	}
	require.Positive(t, moved)
}

// Every parameter is range-checked: a bad one is a 400 with the reason.
func TestDreamRefusesBadParameters(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	for name, q := range map[string]string{
		"no chains":           `{"chains": 0}`,
		"too many chains":     `{"chains": 100000}`,
		"too many steps":      `{"chains": 1, "langevin_steps": 1000000}`,
		"negative alpha":      `{"chains": 1, "langevin_alpha": -1}`,
		"huge sigma":          `{"chains": 1, "langevin_sigma": 1e9}`,
		"class":               `{"chains": 1, "class": 10}`,
		"short start":         `{"chains": 1, "start": [0, 0]}`,
		"mask, no start":      `{"chains": 1, "mask": [true]}`,
		"frames":              `{"chains": 1, "frames": 100000}`,
		"fps":                 `{"chains": 1, "fps": 1000}`,
		"not json":            `{"chains": `,
		"unknown field":       `{"chians": 1}`,
		"negative steps":      `{"chains": 1, "langevin_steps": -3}`,
		"start out of [-1,1]": `{"chains": 1, "start": [` + strings.Repeat("2,", 783) + `2]}`,
	} {
		res, err := http.Post(ts.URL+"/api/runs/tiny/dream", "application/json", strings.NewReader(q))
		require.NoError(t, err)
		var e apiError
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
		res.Body.Close()
		require.Equal(t, http.StatusBadRequest, res.StatusCode, name)
		require.NotEmpty(t, e.Error, name)
	}
}

// A dream stops when its page goes away, and gives its slot back; no more
// than MaxDreams run at once.
func TestDreamStopsWhenTheClientLeavesAndIsLimited(t *testing.T) {
	s, ts := newTestServer(t, fixture(t))
	ctx, cancel := context.WithCancel(context.Background())
	js, _ := json.Marshal(dreamRequest{Chains: 4, Steps: MaxSteps, Frames: MaxFrames, FPS: 5, Seed: 1})
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/runs/tiny/dream", strings.NewReader(string(js)))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = res.Body.Read(buf) // the stream has started
	require.NoError(t, err)
	require.Len(t, s.dreams, 1)
	cancel()
	res.Body.Close()
	require.Eventually(t, func() bool { return len(s.dreams) == 0 }, 5*time.Second, 10*time.Millisecond, "the slot comes back")

	for range MaxDreams {
		s.dreams <- struct{}{}
	}
	var e apiError
	require.Equal(t, http.StatusTooManyRequests, post(t, ts.URL+"/api/runs/tiny/dream", dreamRequest{Chains: 1}, &e))
	require.Contains(t, e.Error, "limit")
	for range MaxDreams {
		<-s.dreams
	}
}
