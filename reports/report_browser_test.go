package reports_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestReportInChromium opens the report of a real run in headless
// Chromium, offline, and checks that every chart draws, that nothing is
// fetched, that no script fails, and that a customer named like a script
// shows as text. It saves a full-page screenshot.
func TestReportInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: install Debian's chromium (apt-get install chromium); CI installs it")
	}
	_, out := reportFixture(t)
	report := filepath.Join(out, "report.html")

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	var mu sync.Mutex
	var problems, requests, opened []string
	dialogs := make(chan struct{}, 4)
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			opened = append(opened, e.Message)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A dialog would stall the page; dismiss it so that the test can fail
	// with a message instead of hanging.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()

	start := time.Now()
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		}),
		chromedp.Navigate("file://"+report),
		chromedp.WaitReady("body"),
	)
	if err != nil {
		t.Fatalf("open %s: %v", report, err)
	}
	type state struct {
		Charts, Drawn, Empty int
		Text                 string
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[state](`(() => {
		const els = [...document.querySelectorAll("[data-chart]")];
		const drawn = els.filter(el => typeof echarts !== "undefined" && echarts.getInstanceByDom(el) && el.querySelector("canvas"));
		return {Charts: els.length, Drawn: drawn.length, Empty: document.querySelectorAll("div.empty").length, Text: document.body.innerText};
	})()`))
	if err != nil {
		t.Fatalf("inspect the page: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("chromium loaded and drew the report in %s", time.Since(start).Round(time.Millisecond))

	dir := os.Getenv("CUSTCAT_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "report.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)

	const charts = 9 // every chart of the page has data in this fixture
	if got.Charts != charts || got.Drawn != charts || got.Empty != 0 {
		t.Errorf("charts: %d on the page, %d drawn, %d empty boxes; want %d drawn and none empty", got.Charts, got.Drawn, got.Empty, charts)
	}
	if !strings.Contains(got.Text, evilName) {
		t.Errorf("the page does not show the customer %q as text", evilName)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the page asked the network for %s", u)
		}
	}
	for _, m := range opened {
		t.Errorf("the page opened a dialog: %q", m)
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}
