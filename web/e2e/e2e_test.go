// Package e2e drives `ebm serve` in a real browser (Debian's headless
// Chromium through chromedp): a module of its own, so that the product's
// go.mod keeps its two dependencies.
//
//	EBM_DATA=/abs/path/to/mnist go test ./...            (from web/e2e)
//
// EBM_E2E_SHOTS=dir keeps the screenshots; EBM_E2E_RUN=dir adds a trained
// run folder to the page (the README's pictures are taken with one).
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// server builds ebm, trains a 1-epoch run on 640 MNIST images, starts
// `ebm serve` on a free loopback port and returns its URL.
func server(t *testing.T) string {
	data := os.Getenv("EBM_DATA")
	if data == "" {
		t.Skip("EBM_DATA is not set: no MNIST folder")
	}
	return serve(t, data, "tiny", "--train_limit", "640", "--test_limit", "200", "--hidden", "32")
}

// buildEBM builds the ebm binary into dir.
func buildEBM(t *testing.T, dir string) string {
	bin := filepath.Join(dir, "ebm")
	run(t, "go", "build", "-C", "../..", "-o", bin, "./cmd/ebm")
	return bin
}

// serve trains a 1-epoch run, name, on data with the extra flags, and
// serves it with data as the server's data set.
func serve(t *testing.T, data, name string, flags ...string) string {
	dir := t.TempDir()
	bin := buildEBM(t, dir)
	runs := filepath.Join(dir, "runs")
	train(t, bin, data, runs, name, append([]string{"--epochs", "1"}, flags...)...)
	if extra := os.Getenv("EBM_E2E_RUN"); extra != "" {
		run(t, "cp", "-r", extra, filepath.Join(runs, filepath.Base(extra)))
	}
	return serveRuns(t, bin, runs, data)
}

// train trains run name in runs on data: tiny chains and buffer, then the
// flags.
func train(t *testing.T, bin, data, runs, name string, flags ...string) {
	run(t, bin, append([]string{"train", "--data_dir", data, "--out_dir", filepath.Join(runs, name),
		"--langevin_steps", "2", "--buffer_size", "100"}, flags...)...)
}

// serveRuns starts `ebm serve` on a free loopback port over the runs
// folder and returns its URL.
func serveRuns(t *testing.T, bin, runs, data string) string {
	return serveRunsTo(t, bin, runs, data, os.Stderr)
}

// serveRunsTo is serveRuns with the server's stderr written to a file of
// the caller's: what it says before it prints its URL is there once the
// URL is.
func serveRunsTo(t *testing.T, bin, runs, data string, stderr *os.File) string {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--runs", runs, "--data_dir", data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(strings.Fields(line)[1], "/")
}

func run(t *testing.T, name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// browser starts headless Chromium with the flags this machine needs (no
// sandbox as root, no background networking: its network is closed).
func browser(t *testing.T) context.Context {
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		t.Skip("no /usr/bin/chromium: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// shot saves a screenshot of the page as name.png.
func shot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("EBM_E2E_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// drag presses the mouse at the first point of an element-relative path,
// moves through the rest and releases.
func drag(sel string, path [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		type box struct{ X, Y float64 }
		b, err := chromedp.Evaluate[box](fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {X: r.left, Y: r.top}; })()`, sel))(ctx, tg)
		if err != nil {
			return err
		}
		held := func(p *input.DispatchMouseEventParams) {
			p.Button, p.Buttons = input.MouseButtonLeft, 1
		}
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, b.X+path[0][0], b.Y+path[0][1], held, chromedp.ClickCount(1))}
		for _, p := range path[1:] {
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, b.X+p[0], b.Y+p[1], held))
		}
		last := path[len(path)-1]
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, b.X+last[0], b.Y+last[1], held, chromedp.ClickCount(1)))
		_, err = chromedp.Steps(steps...)(ctx, tg)
		return err
	})
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(90*time.Second))(ctx, tg)
		return err
	})
}

// into runs a value action and stores its value.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := a(ctx, tg)
		*dst = v
		return err
	})
}

// One pass through the four views, as a user would make it.
func TestThePageInARealBrowser(t *testing.T) {
	url := server(t)
	ctx := browser(t)
	bars := `Array.from(document.querySelectorAll("#bars rect")).map(r => r.getAttribute("height")).join(",")`
	var before, after, status string
	stroke := [][2]float64{}
	for i := 0; i <= 20; i++ { // a "1": a vertical stroke down the middle
		stroke = append(stroke, [2]float64{140, 50 + 9*float64(i)})
	}
	explore := os.Getenv("EBM_E2E_RUN")
	if explore == "" {
		explore = "tiny"
	} else {
		explore = filepath.Base(explore)
	}
	err := chromedp.Do(ctx,
		// Runs: the tiny run is listed, finished, with its samples.
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`tr[data-run="tiny"] .state.finished`),
		chromedp.WaitVisible(`tr[data-run="tiny"] img.thumb`),
		chromedp.WaitVisible(`#settings-table input[data-key="epochs"]`),
		shot(t, "runs"),

		// Explore: drawing changes p(y|x); the energy is placed on the histograms.
		chromedp.Navigate(url+"/#explore/"+explore),
		waitJS(`document.querySelectorAll("#bars rect").length === 10`),
		into(chromedp.Evaluate[string](bars), &before),
		drag("#draw", stroke),
		waitJS(bars+` !== `+fmt.Sprintf("%q", "")+` && document.getElementById("hist-marker") !== null`),
		chromedp.Sleep(300*time.Millisecond),
		into(chromedp.Evaluate[string](bars), &after),
	)
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Fatalf("drawing did not change the bars: %s", after)
	}

	// Dream: frames arrive and the step count climbs.
	err = chromedp.Do(ctx,
		chromedp.Click("#dr-start"),
		waitJS(`/step [1-9]/.test(document.getElementById("dr-status").textContent)`),
		waitJS(`/frames\/s/.test(document.getElementById("dr-status").textContent) && !/step 0,/.test(document.getElementById("dr-status").textContent)`),
		into(chromedp.Text("#dr-status"), &status),
		waitJS(`document.getElementById("dr-stop").disabled`), // the dream ran to its end
		// Inpaint: erase the lower half of a test digit and fill it.
		chromedp.Click("#ip-load"),
		waitJS(`/test image 0/.test(document.getElementById("ip-status").textContent)`),
		drag("#inpaint", [][2]float64{{10, 180}, {140, 190}, {270, 200}, {270, 240}, {140, 250}, {10, 260}}),
		chromedp.Click("#ip-fill"),
		waitJS(`/step [1-9]/.test(document.getElementById("ip-status").textContent)`),
		waitJS(`!document.getElementById("dr-stop").disabled || /step/.test(document.getElementById("ip-status").textContent)`),
		chromedp.Sleep(2*time.Second),
		shot(t, "explore"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dream: %s", status)

	// Start a training from the form, watch it live, stop it.
	var state, zero string
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`#settings-table input[data-key="epochs"]`),
		chromedp.SetValue("#new-name", "from-the-page"),
		chromedp.SetValue(`#settings-table input[data-key="epochs"]`, "100"),
		chromedp.SetValue(`#settings-table input[data-key="train_limit"]`, "6400"),
		chromedp.SetValue(`#settings-table input[data-key="hidden"]`, "64"),
		chromedp.SetValue(`#settings-table input[data-key="buffer_size"]`, "1000"),
		chromedp.SetValue(`#settings-table input[data-key="langevin_steps"]`, "5"),
		chromedp.SetValue(`#settings-table input[data-key="test_limit"]`, "500"),
		// Every text the status line shows is kept: none may be "epoch 0 of 0".
		chromedp.Evaluate[chromedp.Void](`window.said = []; new MutationObserver(() => said.push(document.getElementById("tr-status").textContent)).observe(document.getElementById("tr-status"), {childList: true, characterData: true, subtree: true})`),
		chromedp.Click(`#new-run button[type=submit]`),
		waitJS(`location.hash === "#training/from-the-page" && document.getElementById("tr-state").textContent === "running"`),
		waitJS(`/it\/s/.test(document.getElementById("tr-status").textContent)`),
		waitJS(`document.querySelectorAll("#ch-loss polyline").length > 0`),
		waitJS(`document.getElementById("tr-samples").src.startsWith("data:image/png")`),
		waitJS(`/epoch ([3-9]|[1-9][0-9]) of 100/.test(document.getElementById("tr-status").textContent)`),
		shot(t, "training"),
		chromedp.Click("#tr-stop"),
		waitJS(`document.getElementById("tr-state").textContent === "interrupted"`),
		into(chromedp.Text("#tr-state"), &state),
		into(chromedp.Evaluate[string](`said.filter(s => /epoch 0 of|of 0,/.test(s)).join(" | ")`), &zero),
	)
	if err != nil {
		t.Fatal(err)
	}
	if zero != "" {
		t.Fatalf("before its first step the run said: %s", zero)
	}

	// Bad settings are shown next to their fields, all at once, and the
	// first is scrolled into view (--sample_every, the last field, was
	// refused below the visible area with nothing seen).
	inView := func(key string) string {
		return `(() => { const r = document.querySelector('#new-run .error[data-field="` + key + `"]').getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; })()`
	}
	var fieldErr, lastErr string
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`tr[data-run="from-the-page"] .state.interrupted`),
		chromedp.SetValue("#new-name", "bad"),
		chromedp.SetValue(`#settings-table input[data-key="sample_every"]`, "-1"),
		chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`),
		chromedp.Click(`#new-run button[type=submit]`),
		waitJS(inView("sample_every")),
		chromedp.SetValue(`#settings-table input[data-key="lr"]`, "-1"),
		chromedp.Click(`#new-run button[type=submit]`),
		waitJS(`document.querySelector('#new-run .error[data-field="lr"]').textContent !== ""`),
		waitJS(inView("lr")),
		into(chromedp.Text(`#new-run .error[data-field="lr"]`), &fieldErr),
		into(chromedp.Text(`#new-run .error[data-field="sample_every"]`), &lastErr),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fieldErr, "--lr") || !strings.Contains(lastErr, "--sample_every") {
		t.Fatalf("errors next to --lr and --sample_every at once: %q, %q", fieldErr, lastErr)
	}

	// Evaluate from the page: progress (a stage of one part, the FID, says
	// how long it has run, not "0 of 1"), then the report, kept.
	var stuck string
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#evaluate/"+explore),
		waitJS(`document.getElementById("ev-run").value !== ""`),
		chromedp.SetValue("#ev-samples", "500"),
		chromedp.Evaluate[chromedp.Void](`window.evSaid = []; new MutationObserver(() => evSaid.push(document.getElementById("ev-status").textContent)).observe(document.getElementById("ev-status"), {childList: true, characterData: true, subtree: true})`),
		chromedp.Click("#ev-start"),
		waitJS(`!document.getElementById("ev-report").hidden && /^#evaluate\/[^/]+\/[0-9]/.test(location.hash)`),
		into(chromedp.Evaluate[string](`evSaid.filter(s => / 0 of 1$/.test(s)).join(" | ")`), &stuck),
		chromedp.Sleep(2*time.Second),
		shot(t, "evaluate"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if stuck != "" {
		t.Fatalf("the evaluation's progress said: %s", stuck)
	}
}
