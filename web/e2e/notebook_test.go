package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// notebook is a runs folder as a user has one after some work: two tiny
// runs, one resumed, a failed one, an evaluation kept, and a small
// classifier good enough to read drawn digits. Built once per test binary.
var notebook struct {
	once       sync.Once
	bin, runs  string
	data       string
	buildError string
}

func notebookServer(t *testing.T) (url, runs string) {
	data := os.Getenv("EBM_DATA")
	if data == "" {
		t.Skip("EBM_DATA is not set: no MNIST folder")
	}
	n := &notebook
	n.once.Do(func() {
		dir, err := os.MkdirTemp("", "ebm-e2e-notebook-")
		if err != nil {
			n.buildError = err.Error()
			return
		}
		n.bin, n.runs, n.data = buildEBM(t, dir), filepath.Join(dir, "runs"), data
		tiny := []string{"--train_limit", "640", "--test_limit", "200", "--hidden", "32", "--sample_every", "1"}
		train(t, n.bin, data, n.runs, "tiny-a", append(tiny, "--epochs", "1")...)
		train(t, n.bin, data, n.runs, "tiny-b", append(tiny, "--epochs", "1", "--lr", "0.0003")...)
		train(t, n.bin, data, n.runs, "resumed", append(tiny, "--epochs", "1")...)
		run(t, n.bin, "train", "--out_dir", filepath.Join(n.runs, "resumed"), "--data_dir", data, "--resume", "--epochs", "2", "--sample_every", "1")
		train(t, n.bin, data, n.runs, "doomed", append(tiny, "--epochs", "1")...)
		// A run whose data folder holds no data set fails before its first checkpoint.
		if out, err := exec.Command(n.bin, "train", "--data_dir", dir, "--out_dir", filepath.Join(n.runs, "failed")).CombinedOutput(); err == nil {
			n.buildError = "a run on a folder without data did not fail:\n" + string(out)
			return
		}
		run(t, n.bin, "eval", "--checkpoint", filepath.Join(n.runs, "tiny-a", "checkpoint.ebm"), "--data_dir", data,
			"--samples", "100", "--langevin_steps", "2", "--inpaint_steps", "2", "--test_limit", "200")
		// 97% on the test set in a few seconds: enough to read a drawing.
		train(t, n.bin, data, n.runs, "reader", "--epochs", "3", "--gen_weight", "0.01", "--langevin_steps", "1",
			"--hidden", "256,256", "--test_limit", "1000", "--ema_decay", "0", "--shift", "2")
	})
	if n.buildError != "" {
		t.Fatal(n.buildError)
	}
	return serveRuns(t, n.bin, n.runs, n.data), n.runs
}

func TestMain(m *testing.M) {
	code := m.Run()
	if notebook.runs != "" {
		os.RemoveAll(filepath.Dir(notebook.runs))
	}
	os.Exit(code)
}

// js evaluates an expression into dst, awaiting it if it is a promise.
func js[T any](expr string, dst *T) chromedp.Action[chromedp.Void] {
	return into(chromedp.Evaluate[T](expr, func(p *runtime.EvaluateParams) {
		yes := true
		p.AwaitPromise = &yes
	}), dst)
}

// Any run's whole story, from its folder, after the server (re)started: a
// resumed run's curves have no gap and mark the resume; every epoch's
// samples; a failed run says why and what to do; a finished one continues
// for more epochs; the checkpoint downloads; a run is deleted once its
// name is typed.
func TestEveryRunsHistoryInARealBrowser(t *testing.T) {
	url, runs := notebookServer(t)
	ctx := browser(t)
	var gaps, strip int
	var failed, download string
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#training/resumed"),
		waitJS(`document.querySelectorAll("#ch-loss polyline").length === 2`),
		// 2 epochs of 10 steps: points at steps 10 and 20, the resume marked between.
		js(`(() => { const s = shown.points.map(p => p.step); let g = 0; s.forEach((v, i) => { if (v !== 10 * (i + 1)) g++; }); return s.length === 2 ? g : 99; })()`, &gaps),
		waitJS(`document.querySelectorAll("#ch-loss .resume-mark").length === 1`),
		js(`document.querySelectorAll("#tr-strip img").length`, &strip),
		js(`(async () => { const r = await fetch(document.getElementById("tr-download").href); const b = await r.arrayBuffer(); return r.status + " " + r.headers.get("Content-Disposition") + " " + (b.byteLength > 1000); })()`, &download),
		shot(t, "history"),
		chromedp.Navigate(url+"/#training/failed"),
		waitJS(`document.getElementById("tr-state").textContent === "failed"`),
		js(`document.getElementById("tr-error").textContent`, &failed),
	)
	if err != nil {
		t.Fatal(err)
	}
	if gaps != 0 || strip != 2 {
		t.Fatalf("resumed run: %d points off the 10-step grid (99: not 2 points), %d sample grids (want 2)", gaps, strip)
	}
	if download != `200 attachment; filename="resumed.ebm" true` {
		t.Fatalf("download: %s", download)
	}
	if !strings.Contains(failed, "is not in ") || !strings.Contains(failed, "no checkpoint to resume from; start it again from the form") {
		t.Fatalf("a failed run says why and what to do: %q", failed)
	}

	// Continue a finished run for one more epoch, from the page.
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#training/tiny-b"),
		waitJS(`document.getElementById("tr-state").textContent === "finished" && !document.getElementById("tr-more").hidden`),
		chromedp.SetValue("#tr-epochs", "2"),
		chromedp.Click("#tr-continue"),
		waitJS(`document.getElementById("tr-state").textContent === "finished" && shown.epoch === 2`),
		waitJS(`shown.points.length === 2 && shown.marks.length === 1`),
		// Delete: nothing happens until the name is typed.
		chromedp.Navigate(url+"/#training/doomed"),
		waitJS(`document.getElementById("tr-state").textContent === "finished"`),
		chromedp.Click("#tr-delete"),
		chromedp.SetValue("#tr-confirm-name", "doom"),
		chromedp.Click("#tr-confirm-delete"),
		waitJS(`/type the run's name/.test(document.getElementById("tr-error").textContent)`),
		chromedp.SetValue("#tr-confirm-name", "doomed"),
		chromedp.Click("#tr-confirm-delete"),
		waitJS(`location.hash === "#runs" && document.querySelector('tr[data-run="tiny-a"]') !== null && document.querySelector('tr[data-run="doomed"]') === null`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(runs, "doomed")); !os.IsNotExist(err) {
		t.Fatalf("the deleted run's folder is still there: %v", err)
	}
}

// Three runs compared: three curves on each chart, a table sorted by the
// column clicked, and the selection and the sort in the address, so that
// the comparison can be bookmarked.
func TestComparingThreeRunsInARealBrowser(t *testing.T) {
	url, _ := notebookServer(t)
	ctx := browser(t)
	order := `Array.from(document.querySelectorAll("#cmp-table tbody tr")).map(r => r.dataset.run).join(",")`
	var curves int
	var byName, byNameDesc, bookmarked, hash string
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`tr[data-run="tiny-a"] input.tick`),
		chromedp.Click(`tr[data-run="tiny-b"] input.tick`),
		chromedp.Click(`tr[data-run="resumed"] input.tick`),
		chromedp.Click(`tr[data-run="tiny-a"] input.tick`),
		chromedp.Click("#compare-selected"),
		waitJS(`document.querySelectorAll("#cmp-loss polyline").length === 3`),
		js(`Math.min(...["cmp-loss", "cmp-ce", "cmp-gap", "cmp-lr", "cmp-acc"].map(id => document.querySelectorAll("#" + id + " polyline").length))`, &curves),
		chromedp.Click(`#cmp-table th[data-key="name"]`),
		waitJS(`/sort=name/.test(location.hash) && document.querySelector('#cmp-table th.asc[data-key="name"]') !== null`),
		js(order, &byName),
		chromedp.Click(`#cmp-table th[data-key="name"]`),
		waitJS(`/desc=1/.test(location.hash) && document.querySelector('#cmp-table th.desc[data-key="name"]') !== null`),
		js(order, &byNameDesc),
		js(`location.hash`, &hash),
		chromedp.SetValue("#cmp-x", "epoch"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("cmp-x").dispatchEvent(new Event("change"))`),
		waitJS(`/x=epoch/.test(location.hash) && document.querySelector("#cmp-loss text:last-of-type") !== null`),
		shot(t, "compare"),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The bookmark, opened in a fresh page, shows the same comparison.
	ctx2 := browser(t)
	err = chromedp.Do(ctx2,
		chromedp.Navigate(url+"/"+hash),
		waitJS(`document.querySelectorAll("#cmp-table tbody tr").length === 3`),
		js(order, &bookmarked),
	)
	if err != nil {
		t.Fatal(err)
	}
	if curves != 3 || byName != "resumed,tiny-a,tiny-b" || byNameDesc != "tiny-b,tiny-a,resumed" || bookmarked != byNameDesc {
		t.Fatalf("curves %d (want 3 on every chart); sorted by name %q, descending %q, bookmarked %q", curves, byName, byNameDesc, bookmarked)
	}
	if !strings.HasPrefix(hash, "#compare/tiny-b,resumed,tiny-a?") {
		t.Fatalf("the address holds the runs: %q", hash)
	}
}

// A kept evaluation (made by `ebm eval` on the command line) is listed
// with its date and settings and its report opens without evaluating again.
func TestAKeptReportOpensWithoutRunningAgain(t *testing.T) {
	url, _ := notebookServer(t)
	ctx := browser(t)
	var listed, posts int
	var src string
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#training/tiny-a"),
		waitJS(`document.querySelectorAll("#tr-evals tbody tr").length === 1`),
		js(`document.querySelectorAll("#tr-evals tbody tr td").length`, &listed),
		chromedp.Click(`#tr-evals a`),
		waitJS(`location.hash.startsWith("#evaluate/tiny-a/") && !document.getElementById("ev-report").hidden`),
		waitJS(`(() => { const f = document.getElementById("ev-report"); return f.contentDocument && f.contentDocument.body && /Evaluation|accuracy/i.test(f.contentDocument.body.textContent); })()`),
		js(`document.getElementById("ev-report").getAttribute("src")`, &src),
		js(`performance.getEntriesByType("resource").filter(e => /\/evaluate$/.test(e.name)).length`, &posts),
		shot(t, "kept-report"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if listed != 10 || posts != 0 || !strings.Contains(src, "/api/runs/tiny-a/evaluations/") {
		t.Fatalf("listed cells %d (want 10), evaluations run %d (want 0), report %q", listed, posts, src)
	}
}

// A drawn 7 and a drawn 1, mouse strokes across the whole canvas, are read
// as 7 and 1: the drawing is framed as MNIST's digits were (20x20 box,
// centre of mass in the middle of 28x28), and the page shows that image.
func TestDrawnDigitsAreReadAsMNISTsWereMade(t *testing.T) {
	url, _ := notebookServer(t)
	ctx := browser(t)
	line := func(from, to [2]float64, n int) [][2]float64 {
		var p [][2]float64
		for i := 0; i <= n; i++ {
			f := float64(i) / float64(n)
			p = append(p, [2]float64{from[0] + f*(to[0]-from[0]), from[1] + f*(to[1]-from[1])})
		}
		return p
	}
	seven := append(line([2]float64{20, 25}, [2]float64{262, 25}, 24), line([2]float64{262, 25}, [2]float64{105, 268}, 24)[1:]...)
	one := line([2]float64{150, 12}, [2]float64{132, 270}, 24)
	label := `document.getElementById("seen").dataset.label`
	var read7, read1, seenInk string
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#explore/reader"),
		waitJS(`document.querySelectorAll("#bars rect").length === 10 && document.getElementById("seen").dataset.label !== undefined`),
		drag("#draw", seven),
		waitJS(`/read as 7|read as [0-9]/.test(document.getElementById("seen-note").textContent)`),
		chromedp.Sleep(500e6),
		js(label, &read7),
		js(`(() => { const d = document.getElementById("seen").getContext("2d").getImageData(0, 0, 140, 140).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return String(n > 0); })()`, &seenInk),
		shot(t, "drawn-seven"),
		chromedp.Click("#draw-clear"),
		drag("#draw", one),
		chromedp.Sleep(500e6),
		js(label, &read1),
	)
	if err != nil {
		t.Fatal(err)
	}
	if read7 != "7" || read1 != "1" || seenInk != "true" {
		t.Fatalf("a drawn 7 read as %q, a drawn 1 as %q; the 28x28 image shown: %s", read7, read1, seenInk)
	}
}

// What a new user meets first: the time a run would take, measured; no
// layout that moves as status text appears; no page wider than the window
// at 600 px; labels on one line; a favicon; a dream that says it stopped.
func TestTheFormsAndViewsAtTwoWidths(t *testing.T) {
	url, _ := notebookServer(t)
	ctx := browser(t)
	var estimate string
	var shift float64
	table := `document.getElementById("settings-table").getBoundingClientRect().top + scrollY`
	var before, after float64
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`#settings-table input[data-key="epochs"]`),
		js(table, &before),
		chromedp.SetValue(`#settings-table input[data-key="epochs"]`, "3"),
		chromedp.Click("#new-estimate"),
		waitJS(`/on this machine/.test(document.getElementById("estimate").textContent) && !/measuring/.test(document.getElementById("estimate").textContent)`),
		js(`document.getElementById("estimate").textContent`, &estimate),
		js(table, &after),
	)
	if err != nil {
		t.Fatal(err)
	}
	shift = after - before
	if !strings.HasPrefix(estimate, "about ") || !strings.Contains(estimate, "steps of") || shift != 0 {
		t.Fatalf("estimate %q; the form moved by %v px when it appeared", estimate, shift)
	}

	var dream, favicon, labels string
	var histTicks int
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#explore/tiny-a"),
		waitJS(`document.querySelectorAll("#bars rect").length === 10 && document.getElementById("hist-marker") !== null`),
		js(`document.querySelectorAll("#hist line.tick").length`, &histTicks),
		chromedp.SetValue("#dr-steps", "2000"),
		chromedp.Click("#dr-start"),
		waitJS(`/step [1-9]/.test(document.getElementById("dr-status").textContent)`),
		chromedp.Click("#dr-stop"),
		waitJS(`/stopped/.test(document.getElementById("dr-status").textContent)`),
		js(`document.getElementById("dr-status").textContent`, &dream),
		js(`(async () => { const l = document.querySelector('link[rel="icon"]'); const r = await fetch(l.href); return r.status + " " + r.headers.get("Content-Type"); })()`, &favicon),
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`#settings-table input[data-key="epochs"]`),
		js(`Array.from(document.querySelectorAll("#settings-table td.key label")).filter(l => l.getBoundingClientRect().height > 24).map(l => l.textContent).join(" ")`, &labels),
	)
	if err != nil {
		t.Fatal(err)
	}
	if histTicks < 3 || !strings.HasPrefix(dream, "stopped at step") || !strings.HasPrefix(favicon, "200 image/svg") || labels != "" {
		t.Fatalf("energy ticks %d (want 3 or more); dream %q; favicon %q; labels on two lines: %q", histTicks, dream, favicon, labels)
	}

	// At 600 px, no view is wider than the window.
	for _, view := range []string{"#runs", "#training/resumed", "#compare/tiny-a,resumed", "#explore/tiny-a", "#evaluate/tiny-a"} {
		var wide string
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(600, 900),
			chromedp.Navigate(url+"/"+view),
			chromedp.Sleep(1500e6),
			js(`document.documentElement.scrollWidth + " " + innerWidth`, &wide),
			shot(t, "w600-"+strings.NewReplacer("#", "", "/", "-", ",", "-").Replace(view)),
		)
		if err != nil {
			t.Fatal(err)
		}
		if wide != "600 600" {
			t.Errorf("%s at 600 px: page width and window %s", view, wide)
		}
	}
}

// The empty and broken states say what to do: no runs yet, and a server
// started without its data set (it says so at start, and the page too).
func TestEmptyAndBrokenStatesSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	bin := buildEBM(t, dir)
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	url := serveRunsTo(t, bin, filepath.Join(dir, "runs"), filepath.Join(dir, "no-such-data"), stderr)
	said, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	var banner, empty, training string
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible("#data-error"),
		chromedp.WaitVisible("#runs-empty"),
		js(`document.getElementById("data-error").textContent`, &banner),
		js(`document.getElementById("runs-empty").textContent`, &empty),
		shot(t, "empty"),
		chromedp.Navigate(url+"/#training"),
		chromedp.WaitVisible("#tr-none"),
		js(`document.getElementById("tr-none").textContent`, &training),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(said), "no data set: ") || !strings.Contains(string(said), "--data_dir") {
		t.Fatalf("the server did not say at start that it has no data: %q", said)
	}
	if !strings.Contains(banner, "no data set") || empty != "No runs yet: train one from the form below." || !strings.Contains(training, "No runs yet") {
		t.Fatalf("banner %q; runs %q; training %q", banner, empty, training)
	}
}
