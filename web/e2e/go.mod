module github.com/ebm-project/ebm/web/e2e

go 1.26

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect

require github.com/ebm-project/ebm v0.0.0

replace github.com/ebm-project/ebm => ../..
