package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ebm-project/ebm/internal/fakedata"
)

// A colour data set in the page: Explore says the model's shape, draws
// bars for the set's six classes, predicts a drawing, dreams in colour;
// Evaluate scores it with the judge `ebm classifier` made for the set.
func TestAColourDataSetInARealBrowser(t *testing.T) {
	data := t.TempDir()
	if err := fakedata.RGBFolder(data, 32, 32, 6, 20, 1); err != nil {
		t.Fatal(err)
	}
	run(t, buildEBM(t, t.TempDir()), "classifier", "--data_dir", data)
	url := serve(t, data, "colour", "--batch_size", "16", "--convs", "8c4s2p1,16c4s2p1", "--hidden", "16")
	ctx := browser(t)
	bars := `Array.from(document.querySelectorAll("#bars rect")).map(r => r.getAttribute("height")).join(",")`
	// Some pixel of the dream's canvas whose red, green and blue differ.
	coloured := `(() => { const c = document.getElementById("dream"), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2]) return true; return false; })()`
	var info, before, after, labels string
	stroke := [][2]float64{}
	for i := 0; i <= 20; i++ {
		stroke = append(stroke, [2]float64{60 + 8*float64(i), 140})
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#explore/colour"),
		waitJS(`document.querySelectorAll("#bars rect").length === 6`),
		into(chromedp.Text("#ex-info"), &info),
		into(chromedp.Evaluate[string](bars), &before),
		into(chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#dr-class option")).map(o => o.textContent).join("|")`), &labels),
		drag("#draw", stroke),
		chromedp.Sleep(500*time.Millisecond),
		into(chromedp.Evaluate[string](bars), &after),
		chromedp.Click("#dr-start"),
		waitJS(`document.getElementById("dr-stop").disabled && /step [1-9]/.test(document.getElementById("dr-status").textContent)`),
		waitJS(coloured),
		chromedp.Click("#ip-random"),
		waitJS(`/test image [0-9]+: /.test(document.getElementById("ip-status").textContent)`),
		shot(t, "explore_colour"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "32x32x3") {
		t.Fatalf("the model's shape is not shown: %q", info)
	}
	if !strings.Contains(labels, "E(x, y=5): red-square") {
		t.Fatalf("the class menu does not name the set's classes: %q", labels)
	}
	if before == after {
		t.Fatalf("drawing did not change the bars: %s", after)
	}
	var evErr string
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#evaluate/colour"),
		waitJS(`document.getElementById("ev-run").value !== ""`),
		chromedp.SetValue("#ev-samples", "100"),
		chromedp.Click("#ev-start"),
		waitJS(`!document.getElementById("ev-report").hidden || document.getElementById("ev-error").textContent !== ""`),
		into(chromedp.Text("#ev-error"), &evErr),
		shot(t, "evaluate_colour"),
	)
	if err != nil || evErr != "" {
		t.Fatal(fmt.Errorf("evaluate: %v %s", err, evErr))
	}
	if _, err := os.Stat(filepath.Join(data, "judge.ebmclf")); err != nil {
		t.Fatal(err)
	}
}
