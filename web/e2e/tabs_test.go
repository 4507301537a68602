package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tabsScript opens ten more tabs of the page from the first (window.open:
// the same browser, the same pool of connections), keeps them open, and
// then, in an eleventh, goes away to another page and back six times. After
// each load it waits, at most 15 s, for the runs table and for a request
// of that tab to answer; it returns each wait in seconds, or "stalled".
const tabsScript = `(async () => {
  const limit = 15000;
  const wait = async (ok) => {
    const t0 = performance.now();
    while (performance.now() - t0 < limit) {
      try { if (await ok()) return ((performance.now() - t0) / 1000).toFixed(2); } catch (e) {}
      await new Promise((r) => setTimeout(r, 50));
    }
    return "stalled";
  };
  const answers = (w) => Promise.race([w.fetch("/api/runs").then((r) => r.ok), new Promise((r) => setTimeout(() => r(false), limit))]);
  const loaded = async (w) => {
    const table = await wait(() => w.document.readyState === "complete" && w.document.querySelector('tr[data-run="tiny"]'));
    return table === "stalled" ? table : (await answers(w)) ? table : "stalled";
  };
  const out = [];
  for (let i = 1; i <= 10; i++) out.push("tab " + i + ": " + await loaded(window.open(location.href, "tab" + i)));
  const w = window.open(location.href, "tab11");
  out.push("tab 11: " + await loaded(w));
  for (let i = 1; i <= 6; i++) {
    const here = w.document;
    w.location.href = "/api/settings"; // another page of the same origin
    await wait(() => w.document !== here && w.document.readyState === "complete" && w.location.pathname === "/api/settings");
    w.history.back();
    await wait(() => w.location.pathname === "/");
    out.push("tab 11, back " + i + ": " + await loaded(w));
  }
  return out.join("\n");
})()`

// A browser opens at most six HTTP/1.1 connections to one host. With a
// stream per page (ec591b7), the 5th tab opened from a first one stalled,
// and going away and back five times stalled the next request for about a
// minute: pages in the back/forward cache kept their streams. Now every tab
// of a browser shares one stream (a shared worker), and a hidden page
// closes its own: ten tabs load, and the eleventh loads on every return.
func TestTenTabsAndBackAndForthNeverStall(t *testing.T) {
	url := server(t)
	ctx := browser(t)
	gesture := func(p *runtime.EvaluateParams) {
		yes := true
		p.UserGesture, p.AwaitPromise = &yes, &yes // a click may open windows
	}
	var report string
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/#runs"),
		chromedp.WaitVisible(`tr[data-run="tiny"]`),
		into(chromedp.Evaluate[string](tabsScript, gesture), &report),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seconds until each tab showed its runs and answered a request:\n%s", report)
	if strings.Contains(report, "stalled") || strings.Count(report, "\n") != 16 {
		t.Fatalf("a tab stalled (15 s):\n%s", report)
	}
}
