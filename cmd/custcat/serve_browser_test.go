package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageView is what Chromium showed of the daemon's page.
type pageView struct {
	attention, row, rowColor, text, cookies string
	reportPath                              string
	reportOpened                            bool
}

// browse opens the daemon's page in headless Chromium: the login form
// first, then the page; it follows the report link of run, and saves a
// screenshot of the page (CUSTCAT_ARTIFACTS, else var/test-output/serve).
func browse(t *testing.T, base, token string, run int64) pageView {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: install Debian's chromium (apt-get install chromium); CI installs it")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var v pageView
	sel := fmt.Sprintf(`tr[data-run="%d"]`, run)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("chromium on %s: %s: %v", base, what, err)
		}
	}
	must("open the page", chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`input[name="token"]`)))
	formShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("form[action='/login']")`))
	must("the login form", err)
	must("log in", chromedp.Do(ctx, chromedp.SendKeys(`input[name="token"]`, token), chromedp.Submit(`input[name="token"]`), chromedp.WaitVisible(`#runs`)))
	v.attention, err = chromedp.Run(ctx, chromedp.Text(`#attention`))
	must("the attention box", err)
	v.row, err = chromedp.Run(ctx, chromedp.Text(sel))
	must("the run's row", err)
	v.rowColor, err = chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector('%s td')).color`, sel)))
	must("the row's color", err)
	v.text, err = chromedp.Run(ctx, chromedp.Text(`body`))
	must("the page text", err)
	v.cookies, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	must("the cookies", err)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("screenshot", err)
	if !formShown {
		t.Error("the page without the cookie showed no login form")
	}
	// Kept for people to look at, as the report's test keeps its own.
	dir := os.Getenv("CUSTCAT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "var", "test-output", "serve")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "serve-page.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)

	// The run's own report opens from its link, with the cookie alone.
	if err := chromedp.Do(ctx, chromedp.Click(sel+` a[href$="/report.html"]`), chromedp.WaitReady(`body`)); err != nil {
		t.Errorf("open the report of run %d: %v", run, err)
		return v
	}
	title, _ := chromedp.Run(ctx, chromedp.Location())
	heading, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title + " " + (document.body ? document.body.innerText.slice(0, 200) : "")`))
	if u, err := url.Parse(title); err == nil {
		v.reportPath = u.Path
	}
	v.reportOpened = strings.HasPrefix(v.reportPath, "/out/runs/") && strings.HasSuffix(v.reportPath, "/report.html") && strings.Contains(heading, "运行编号")
	if !v.reportOpened {
		t.Logf("after the click: %s: %q", title, heading)
	}
	return v
}
