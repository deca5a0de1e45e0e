package reports_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"custcat/reports"
)

// chromium is one headless Chromium, offline, shared by the pages a test opens.
type chromium struct {
	ctx       context.Context
	downloads string
	mu        sync.Mutex
	done      map[string]chan string // download GUID -> its file when complete
	began     chan string
}

func startChromium(tb testing.TB) *chromium {
	tb.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		tb.Fatal("chromium is not installed: install Debian's chromium (apt-get install chromium); CI installs it")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	c := &chromium{ctx: ctx, downloads: tb.TempDir(), done: map[string]chan string{}, began: make(chan string, 16)}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: c.downloads, EventsEnabled: ptr(true)})
		return err
	})); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	err = chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			c.mu.Lock()
			ch := c.done[e.GUID]
			if ch == nil {
				ch = make(chan string, 1)
				c.done[e.GUID] = ch
			}
			c.mu.Unlock()
			select {
			case ch <- filepath.Join(c.downloads, e.GUID):
			default:
			}
			select {
			case c.began <- e.GUID:
			default:
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// tab is one page of the report in its own tab, with what it logged.
type tab struct {
	ctx          context.Context
	c            *chromium
	mu           sync.Mutex
	problems     []string
	requests     []string
	renderMillis float64
}

// open loads the report at path, width pixels wide, offline, and waits
// until the page says its table is ready.
func (c *chromium) open(tb testing.TB, path string, width int64) *tab {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx)
	tb.Cleanup(cancel)
	tt := &tab{ctx: ctx, c: c}
	dialogs := make(chan struct{}, 4)
	// A target must exist before listening.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatal(err)
	}
	chromedp.Listen(ctx, func(ev any) {
		tt.mu.Lock()
		defer tt.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				tt.problems = append(tt.problems, "console "+string(e.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			tt.problems = append(tt.problems, "exception: "+e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
		case *network.EventRequestWillBeSent:
			tt.requests = append(tt.requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			tt.problems = append(tt.problems, "dialog: "+e.Message)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	})
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
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		}),
		chromedp.EmulateViewport(width, 900),
		chromedp.Navigate("file://"+path),
	)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWait()
	ms, err := chromedp.Run(wait, chromedp.Poll[float64](`Number(document.body.getAttribute("data-ready")) || false`))
	if err != nil {
		tt.checkClean(tb)
		tb.Fatalf("the report did not get ready: %v", err)
	}
	tt.renderMillis = ms
	return tt
}

// eval runs js in the page and returns its value as T.
func eval[T any](tb testing.TB, tt *tab, js string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tt.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

func (tt *tab) do(tb testing.TB, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tt.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.Fatal(err)
	}
}

// checkClean fails on every console error or warning, exception, dialog
// and request that left the file.
func (tt *tab) checkClean(tb testing.TB) {
	tb.Helper()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for _, p := range tt.problems {
		tb.Error(p)
	}
	for _, u := range tt.requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") && u != "about:blank" {
			tb.Errorf("the page asked the network for %s", u)
		}
	}
}

// download clicks the CSV button and returns the file the browser saved.
func (tt *tab) download(tb testing.TB) []byte {
	tb.Helper()
	for len(tt.c.began) > 0 {
		<-tt.c.began
	}
	tt.do(tb, chromedp.Click("#f-csv"))
	select {
	case guid := <-tt.c.began:
		tt.c.mu.Lock()
		ch := tt.c.done[guid]
		tt.c.mu.Unlock()
		path := <-ch
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	case <-time.After(20 * time.Second):
		tb.Fatal("the CSV download did not complete")
	}
	return nil
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// artifacts is the folder where the browser tests keep their screenshots
// for people to look at: CUSTCAT_ARTIFACTS, else var/test-output/report.
func artifacts(tb testing.TB) string {
	dir := os.Getenv("CUSTCAT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "var", "test-output", "report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// A page as the report is, read back by the tests.
type pageState struct {
	Charts, Drawn, Empty int
	Text                 string
	ScrollWidth          int
	Width                int
}

const stateJS = `(() => {
	const els = [...document.querySelectorAll("[data-chart]")];
	const drawn = els.filter(el => echarts.getInstanceByDom(el) && el.querySelector("canvas"));
	return {Charts: els.length, Drawn: drawn.length, Empty: document.querySelectorAll("div.empty").length,
		Text: document.body.innerText, ScrollWidth: document.documentElement.scrollWidth, Width: window.innerWidth};
})()`

// labelsJS lists, per chart, the texts ECharts drew that overlap another
// or pass the chart's edge, and the labels that should be there but are not.
const labelsJS = `(() => {
	const data = JSON.parse(document.getElementById("report-data").textContent);
	const out = [];
	for (const box of document.querySelectorAll("[data-chart]")) {
		const c = echarts.getInstanceByDom(box);
		if (!c) { continue; }
		const id = box.dataset.chart, W = c.getWidth(), H = c.getHeight();
		const texts = [];
		for (const el of c.getZr().storage.getDisplayList(true)) {
			if (el.type !== "tspan" || el.ignore || el.invisible || !el.style || !el.style.text || el.style.opacity === 0) { continue; }
			let p = el;
			let hidden = false;
			while (p) { if (p.ignore || p.invisible) { hidden = true; } p = p.parent || p.__hostTarget; if (p === el) { break; } }
			if (hidden) { continue; }
			const r = el.getBoundingRect().clone();
			if (el.transform) { r.applyTransform(el.transform); }
			// A scrolling legend clips the items it does not show.
			for (const cp of el.__clipPaths || []) {
				const k = cp.getBoundingRect().clone();
				if (cp.transform) { k.applyTransform(cp.transform); }
				const x = Math.max(r.x, k.x), y = Math.max(r.y, k.y);
				r.width = Math.min(r.x + r.width, k.x + k.width) - x;
				r.height = Math.min(r.y + r.height, k.y + k.height) - y;
				r.x = x; r.y = y;
			}
			if (r.width <= 0 || r.height <= 0) { continue; }
			texts.push({text: String(el.style.text), r});
		}
		for (let i = 0; i < texts.length; i++) {
			const a = texts[i].r;
			if (a.x < -1 || a.y < -1 || a.x + a.width > W + 1 || a.y + a.height > H + 1) {
				out.push(id + ": " + JSON.stringify(texts[i].text) + " passes the edge of the chart");
			}
			for (let j = i + 1; j < texts.length; j++) {
				const b = texts[j].r;
				const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
				const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
				if (w > 1 && h > 1) {
					out.push(id + ": " + JSON.stringify(texts[i].text) + " overlaps " + JSON.stringify(texts[j].text));
				}
			}
		}
		if (id === "seg_customers" || id === "seg_revenue" || id === "moves") {
			const shown = texts.map(t => t.text);
			for (const s of data.segments) {
				const ok = shown.some(t => t.includes(s.label) || (t.endsWith("...") && s.label.startsWith(t.slice(0, -3).split(" ").slice(-2).join(" ").trim())) || t.endsWith("..."));
				if (!ok) { out.push(id + ": no label for segment " + s.label); }
			}
		}
	}
	return out;
})()`

// reportCase is one report the browser tests open, with its store.
type reportCase struct {
	name     string
	path     string // report.html
	db       *sql.DB
	asOf     string
	explain  func(t *testing.T, code string) explained
	segments int    // how many segments the snapshot has, at least
	shows    string // a text the page must show as text
}

func TestReportInChromium(t *testing.T) {
	c := startChromium(t)
	cases := []struct {
		name string
		make func(t *testing.T) reportCase
	}{{"generated", generatedCase}, {"generated-en", generatedEnCase}, {"demo", demoCase}, {"rfm-11-segments", rfmCase}, {"100k", bigCase}}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			rc := k.make(t)
			rc.name = k.name
			checkReport(t, c, rc)
		})
	}
	// A date with no snapshot: the page says so and its script does not fail.
	t.Run("no-snapshot", func(t *testing.T) {
		cfg, _ := reportFixture(t)
		store := openStore(t, cfg)
		html, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2020-01-31", WindowDays: 365, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(path, html, 0o644); err != nil {
			t.Fatal(err)
		}
		tt := c.open(t, path, 1400)
		if st := eval[pageState](t, tt, stateJS); !strings.Contains(st.Text, "截至 2020-01-31 没有快照") || !strings.Contains(st.Text, "没有符合条件的客户") {
			t.Errorf("the page of a date with no snapshot does not say so:\n%.600s", st.Text)
		}
		tt.checkClean(t)
	})
}

func checkReport(t *testing.T, c *chromium, rc reportCase) {
	start := time.Now()
	tt := c.open(t, rc.path, 1400)
	t.Logf("%s: ready after %.0f ms (page load to table)", rc.name, tt.renderMillis)
	st := eval[pageState](t, tt, stateJS)
	if st.Charts == 0 || st.Drawn != st.Charts {
		t.Errorf("charts: %d on the page, %d drawn", st.Charts, st.Drawn)
	}
	if st.ScrollWidth > st.Width+1 {
		t.Errorf("at %d px the page is %d px wide", st.Width, st.ScrollWidth)
	}
	if overlaps := eval[[]string](t, tt, labelsJS); len(overlaps) > 0 {
		for _, o := range overlaps {
			t.Errorf("at 1400 px: %s", o)
		}
	}
	if n := eval[int](t, tt, `JSON.parse(document.getElementById("report-data").textContent).segments.length`); n < rc.segments {
		t.Errorf("%d segments in the page, want at least %d", n, rc.segments)
	}
	if m := regexp.MustCompile(`\b(col|move|ax|f|h|card|rule|why|trigger|seg|tip|per|page)_[a-z_]+\b`).FindString(st.Text); m != "" {
		t.Errorf("the page shows the text key %q instead of its words", m)
	}
	if rc.shows != "" && !strings.Contains(st.Text, rc.shows) {
		t.Errorf("the page does not show %q as text", rc.shows)
	}
	shot(t, tt, filepath.Join(artifacts(t), rc.name+"-1400.png"))

	code := pickCustomer(t, rc)
	checkPinyinSearch(t, tt, rc)
	checkSearch(t, tt, code)
	checkCard(t, tt, rc, code)
	checkHeatCell(t, tt, rc)
	checkSegmentBar(t, tt, rc)
	checkSankeyLink(t, tt, rc)
	checkTagBar(t, tt, rc)
	checkPinned(t, tt, rc)
	checkHistogramBin(t, tt, rc)
	checkFilteredCSV(t, tt, rc)
	checkSort(t, tt, rc)
	checkPrint(t, tt, rc)

	tt.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	time.Sleep(300 * time.Millisecond) // the page draws its charts again at the new width
	st = eval[pageState](t, tt, stateJS)
	if st.ScrollWidth > st.Width+1 {
		t.Errorf("at 390 px the page is %d px wide: something does not fit", st.ScrollWidth)
	}
	if overlaps := eval[[]string](t, tt, labelsJS); len(overlaps) > 0 {
		for _, o := range overlaps {
			t.Errorf("at 390 px: %s", o)
		}
	}
	shot(t, tt, filepath.Join(artifacts(t), rc.name+"-390.png"))
	tt.checkClean(t)
	t.Logf("%s: checked in %s", rc.name, time.Since(start).Round(time.Millisecond))
}

func shot(t *testing.T, tt *tab, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tt.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// pickCustomer is a customer with tags and a previous segment if there is
// one: the one at the middle of revenue, so that it is no special case.
func pickCustomer(t *testing.T, rc reportCase) string {
	t.Helper()
	var code string
	err := rc.db.QueryRow(`SELECT coalesce(customer_code, customer_key) FROM snapshots WHERE as_of = ?
		ORDER BY len(tags) > 0 DESC, prev_segment IS NOT NULL DESC, abs(monetary - (SELECT median(monetary) FROM snapshots WHERE as_of = ?)), customer_key LIMIT 1`,
		rc.asOf, rc.asOf).Scan(&code)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// checkSearch types a customer code into the search box and expects its
// row at the top of the table.
func checkSearch(t *testing.T, tt *tab, code string) {
	t.Helper()
	tt.do(t, chromedp.Click("#f-clear"), chromedp.SendKeys("#f-q", code))
	js := fmt.Sprintf(`(() => { const td = document.querySelector("#cust-body tr[data-row] td"); return td !== null && td.textContent === %q; })()`, code)
	ctx, cancel := context.WithTimeout(tt.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
		first := eval[string](t, tt, `(document.querySelector("#cust-body tr") || {}).innerText || ""`)
		t.Fatalf("searched %q: its row is not first in the table (first row: %q)", code, first)
	}
}

// explained is what custcat explain says about a customer, in the terms the card shows.
type explained struct {
	Features map[string]string // key -> value; "" for none
	Scores   map[string]string // r_score, f_score, m_score, abc_class
	Fired    string            // the code of the rule that fired
	Segment  string
	Since    string
	Tags     []string
	History  [][4]string // as of, segment, rules gave, since
}

type cardState struct {
	Customer string
	Features map[string]string
	Scores   map[string]string
	Fired    string
	State    string
	Tags     []string
	History  [][]string
}

const cardJS = `(() => {
	const card = document.getElementById("card");
	if (!card.open) { return null; }
	const body = document.getElementById("card-body");
	const kv = sel => Object.fromEntries([...body.querySelectorAll(sel)].map(tr => [tr.dataset.key, tr.querySelector("td").firstChild ? tr.querySelector("td").firstChild.textContent : ""]));
	const fired = body.querySelector("ol.rules li.fired");
	return {
		Customer: body.dataset.customer,
		Features: kv("table.kv:nth-of-type(1) tr[data-key]"),
		Scores: Object.fromEntries([...body.querySelectorAll("tr[data-key$='_score'], tr[data-key='abc_class']")].map(tr => [tr.dataset.key, tr.querySelector("td").firstChild.textContent])),
		Fired: fired ? fired.dataset.rule : "",
		State: (body.querySelector("[data-key=segment]") || {}).textContent || "",
		Tags: [...body.querySelectorAll("tr[data-tag]")].map(tr => tr.dataset.tag),
		History: [...body.querySelectorAll("table.hist tbody tr")].map(tr => [...tr.children].map(td => td.textContent)),
	};
})()`

// checkCard opens the searched customer's card and compares it with what
// custcat explain says.
func checkCard(t *testing.T, tt *tab, rc reportCase, code string) {
	t.Helper()
	tt.do(t, chromedp.Click("#cust-body tr[data-row]"))
	got := eval[*cardState](t, tt, cardJS)
	if got == nil {
		t.Fatal("clicking the customer's row opened no card")
	}
	if got.Customer != code {
		t.Fatalf("the card shows customer %q, want %q", got.Customer, code)
	}
	want := rc.explain(t, code)
	for k, w := range want.Features {
		g := got.Features[k]
		if !sameValue(g, w) {
			t.Errorf("card of %s: %s is %q, explain says %q", code, k, g, w)
		}
	}
	for k, w := range want.Scores {
		if g := got.Scores[k]; !sameValue(g, w) {
			t.Errorf("card of %s: %s is %q, explain says %q", code, k, g, w)
		}
	}
	if want.Fired != "" && got.Fired != want.Fired {
		t.Errorf("card of %s: rule %q fired, explain says %q", code, got.Fired, want.Fired)
	}
	if !strings.Contains(got.State, want.Segment) || !strings.Contains(got.State, want.Since) {
		t.Errorf("card of %s: segment line %q, explain says segment %s since %s", code, got.State, want.Segment, want.Since)
	}
	gt, wt := append([]string(nil), got.Tags...), append([]string(nil), want.Tags...)
	sort.Strings(gt)
	sort.Strings(wt)
	if strings.Join(gt, "|") != strings.Join(wt, "|") {
		t.Errorf("card of %s: tags %q, explain says %q", code, gt, wt)
	}
	if len(got.History) != len(want.History) {
		t.Errorf("card of %s: %d history rows, explain has %d", code, len(got.History), len(want.History))
	} else {
		for i, w := range want.History {
			g := got.History[i]
			if len(g) < 4 || g[0] != w[0] || g[1] != w[1] || g[2] != w[2] || g[3] != w[3] {
				t.Errorf("card of %s: history row %d is %q, explain says %q", code, i, g, w)
			}
		}
	}
	// Everything but the rules' conditions, which are the config's SQL.
	text := eval[string](t, tt, `(() => { const b = document.getElementById("card-body").cloneNode(true); b.querySelectorAll("code").forEach(c => c.remove()); document.body.appendChild(b); const s = b.innerText; b.remove(); return s; })()`)
	if m := regexp.MustCompile(`\b(col|move|ax|f|h|card|rule|why|trigger|seg|tip|reason|abc|manual|pinned|waiting)_[a-z_]+\b`).FindString(text); m != "" {
		t.Errorf("the card shows the text key %q instead of its words", m)
	}
	shotView(t, tt, filepath.Join(artifacts(t), rc.name+"-card.png"))
	tt.do(t, chromedp.Click("#card-close"))
}

// shotView keeps what the window shows now.
func shotView(t *testing.T, tt *tab, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tt.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameValue compares a value as the card shows it (¥1,234.50, 12, –) with
// explain's (1234.50, 12, "").
func sameValue(card, explain string) bool {
	c := strings.NewReplacer("¥", "", ",", "").Replace(strings.TrimSpace(card))
	if c == "–" {
		c = ""
	}
	if c == explain {
		return true
	}
	x, err1 := strconv.ParseFloat(c, 64)
	y, err2 := strconv.ParseFloat(explain, 64)
	return err1 == nil && err2 == nil && abs(x-y) < 0.00005+abs(y)*1e-9
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// chartPoint is where, in the page's viewport, a value of a chart's series is.
func chartPoint(t *testing.T, tt *tab, chart, value string) (float64, float64) {
	t.Helper()
	return chartPointOf(t, tt, chart, 0, value)
}

// chartPointOf is chartPoint for the series of the index.
func chartPointOf(t *testing.T, tt *tab, chart string, series int, value string) (float64, float64) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const box = document.getElementById("chart-%s");
		box.scrollIntoView({block: "center"});
		const c = echarts.getInstanceByDom(box);
		const p = c.convertToPixel({seriesIndex: %d}, %s);
		const r = box.getBoundingClientRect();
		return [r.left + p[0], r.top + p[1]];
	})()`, chart, series, value)
	p := eval[[]float64](t, tt, js)
	if len(p) != 2 {
		t.Fatalf("no point for %s in chart %s", value, chart)
	}
	return p[0], p[1]
}

// matches waits for the table's count of matching customers to be want.
func matches(t *testing.T, tt *tab, want int64, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tt.ctx, 10*time.Second)
	defer cancel()
	js := fmt.Sprintf(`document.getElementById("cust-count").dataset.matches === "%d"`, want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
		got := eval[string](t, tt, `document.getElementById("cust-count").dataset.matches + " (" + document.getElementById("cust-count").textContent + "; filters: " + document.getElementById("cust-chips").innerText + ")"`)
		t.Fatalf("%s: the table lists %s customers, the database %d", what, got, want)
	}
}

// checkHeatCell clicks the busiest R x F cell with fewer than all
// customers and expects exactly its customers in the table and the CSV.
func checkHeatCell(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var r, f int
	var n int64
	err := rc.db.QueryRow(`SELECT r_score, f_score, count(*) FROM snapshots WHERE as_of = ? AND r_score IS NOT NULL
		GROUP BY r_score, f_score ORDER BY abs(r_score - 3) + abs(f_score - 2), count(*) DESC LIMIT 1`, rc.asOf).Scan(&r, &f, &n)
	if err != nil {
		t.Fatal(err)
	}
	x, y := chartPoint(t, tt, "rf_count", fmt.Sprintf("[%d, %d]", r-1, f-1))
	tt.do(t, chromedp.MouseClickXY(x, y))
	what := fmt.Sprintf("heat-map cell R %d F %d", r, f)
	matches(t, tt, n, what)
	want := sqlCodes(t, rc.db, `SELECT coalesce(customer_code, customer_key) FROM snapshots WHERE as_of = ? AND r_score = ? AND f_score = ?`, rc.asOf, r, f)
	rows := readCSV(t, tt.download(t))
	got := map[string]bool{}
	for _, row := range rows[1:] {
		got[row[0]] = true
	}
	if len(got) != len(want) || len(rows)-1 != len(want) {
		t.Fatalf("%s: the CSV has %d rows (%d codes), the database %d customers", what, len(rows)-1, len(got), len(want))
	}
	for c := range want {
		if !got[c] {
			t.Errorf("%s: customer %s of the cell is not in the CSV", what, c)
		}
	}
}

// checkSegmentBar clicks the bar of the last segment and expects its customers.
func checkSegmentBar(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var code string
	var n int64
	if err := rc.db.QueryRow(`SELECT segment_code, count(*) FROM snapshots WHERE as_of = ? GROUP BY ALL
		ORDER BY min(rule_index) DESC LIMIT 1`, rc.asOf).Scan(&code, &n); err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`(() => {
		const d = JSON.parse(document.getElementById("report-data").textContent);
		const i = d.segments.findIndex(s => s.code === %q);
		const c = echarts.getInstanceByDom(document.getElementById("chart-seg_customers"));
		const horizontal = c.getOption().yAxis[0].type === "category";
		return horizontal ? "[" + (d.segments[i].customers / 2) + ", " + i + "]" : "[" + i + ", " + (d.segments[i].customers / 2) + "]";
	})()`, code)
	x, y := chartPoint(t, tt, "seg_customers", eval[string](t, tt, js))
	tt.do(t, chromedp.MouseClickXY(x, y))
	matches(t, tt, n, "segment bar "+code)
}

// checkFilteredCSV sets a segment, a score range and a tag in the filters,
// downloads the CSV and compares it, row by row, with the same filter in SQL.
func checkFilteredCSV(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var seg, tag string
	err := rc.db.QueryRow(`SELECT segment_code FROM snapshots WHERE as_of = ? AND r_score >= 2
		GROUP BY segment_code ORDER BY count(*) DESC, segment_code LIMIT 1`, rc.asOf).Scan(&seg)
	if err != nil {
		t.Fatal(err)
	}
	segIndex := eval[string](t, tt, fmt.Sprintf(`[...document.querySelectorAll("#f-seg option")].find(o => o.textContent.startsWith(%q)).value`, seg+" "))
	_ = rc.db.QueryRow(`SELECT t FROM (SELECT unnest(tags) AS t FROM snapshots WHERE as_of = ? AND segment_code = ? AND r_score >= 2)
		GROUP BY t ORDER BY count(*) DESC, t LIMIT 1`, rc.asOf, seg).Scan(&tag)
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Click("#f-clear"),
		choose("f-seg", segIndex),
		choose("f-r-lo", "2"),
	}
	query := `SELECT coalesce(customer_code, customer_key), coalesce(customer_name, ''), segment_code, array_to_string(tags, '|'),
		r_score, f_score, m_score, frequency, printf('%.2f', monetary), coalesce(prev_segment, ''), CAST(segment_since AS VARCHAR)
		FROM snapshots WHERE as_of = ? AND segment_code = ? AND r_score >= 2`
	args := []any{rc.asOf, seg}
	if tag != "" {
		idx := eval[string](t, tt, fmt.Sprintf(`[...document.querySelectorAll("#f-tag option")].find(o => o.textContent === %q).value`, tag))
		steps = append(steps, choose("f-tag", idx))
		query += ` AND list_contains(tags, ?)`
		args = append(args, tag)
	}
	tt.do(t, steps...)
	raw := tt.download(t)
	if !bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) || !bytes.Contains(raw, []byte("\r\n")) {
		t.Errorf("the CSV is not UTF-8 with a BOM and CRLF line ends: %q", raw[:min(len(raw), 40)])
	}
	rows := readCSV(t, raw)
	head := map[string]int{}
	for i, h := range rows[0] {
		head[h] = i
	}
	got := map[string][]string{}
	cols := []string{"customer_code", "customer_name", "segment_code", "tags", "r_score", "f_score", "m_score", "frequency", "monetary", "prev_segment", "segment_since"}
	for _, r := range rows[1:] {
		var vals []string
		for _, c := range cols {
			vals = append(vals, r[head[c]])
		}
		got[vals[0]] = vals
	}
	dbRows, err := rc.db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer dbRows.Close()
	n := 0
	for dbRows.Next() {
		v := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range v {
			ptrs[i] = &v[i]
		}
		if err := dbRows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		n++
		g, ok := got[v[0]]
		if !ok {
			t.Errorf("filter %s, R >= 2, tag %q: customer %s is not in the CSV", seg, tag, v[0])
			continue
		}
		for i := range cols {
			if unquote(g[i]) != v[i] {
				t.Errorf("customer %s: %s is %q in the CSV, %q in the database", v[0], cols[i], g[i], v[i])
			}
		}
	}
	if n == 0 || len(rows)-1 != n {
		t.Errorf("filter %s, R >= 2, tag %q: the CSV has %d rows, the database %d", seg, tag, len(rows)-1, n)
	}
}

// choose picks value in the select with the id, as a person would: the
// page hears a change event.
func choose(id, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`, id, value, value)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("select %s has no option %q", id, value)
		}
		return err
	})
}

// unquote takes off the quote that keeps a cell from being read as a formula.
func unquote(s string) string {
	if strings.HasPrefix(s, "'") && len(s) > 1 && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

func readCSV(t *testing.T, raw []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatalf("read the CSV: %v", err)
	}
	if len(rows) == 0 || rows[0][0] != "customer_code" {
		t.Fatalf("the CSV has no header: %q", raw[:min(len(raw), 80)])
	}
	return rows
}

func sqlCodes(t *testing.T, db *sql.DB, q string, args ...any) map[string]bool {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[c] = true
	}
	return out
}

// checkSankeyLink clicks the middle of the widest flow between two
// different segments and expects the customers who made that move.
func checkSankeyLink(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var from, to string
	var n int64
	err := rc.db.QueryRow(`SELECT prev_segment, segment_code, count(*) FROM snapshots WHERE as_of = ? AND prev_segment <> segment_code
		GROUP BY prev_segment, segment_code ORDER BY count(*) DESC, prev_segment, segment_code LIMIT 1`, rc.asOf).Scan(&from, &to, &n)
	if err == sql.ErrNoRows {
		return // nobody moved
	}
	if err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`(() => {
		const box = document.getElementById("chart-moves");
		box.scrollIntoView({block: "center"});
		const c = echarts.getInstanceByDom(box);
		const g = c.getModel().getSeriesByIndex(0).getGraph();
		const e = g.edges.find(e => e.node1.id === "p:" + %q && e.node2.id === "n:" + %q);
		// The flow leaves its node sy below the node's top and enters the
		// other ty below its top, a cubic curve (curveness 0.5) between;
		// the series stands 8 px in (left, top: 8). Clicked near its
		// start (t = 0.1), where the flows of one node lie side by side,
		// not in the middle, where flows cross.
		const l = e.getLayout(), a = e.node1.getLayout(), b = e.node2.getLayout(), r = box.getBoundingClientRect();
		const x1 = a.x + a.dx, y1 = a.y + l.sy, x2 = b.x, y2 = b.y + l.ty, t = 0.1;
		const x = x1 + (x2 - x1) * (1.5 * t * (1 - t) + t * t * t), y = y1 + (y2 - y1) * (3 * t * t - 2 * t * t * t);
		return [r.left + 8 + x, r.top + 8 + y + l.dy / 2];
	})()`, from, to)
	p := eval[[]float64](t, tt, js)
	tt.do(t, chromedp.MouseClickXY(p[0], p[1]))
	matches(t, tt, n, fmt.Sprintf("Sankey flow %s -> %s", from, to))
	// The same move from its cell of the from/to matrix.
	tt.do(t, chromedp.Click("#f-clear"), chromedp.Click(fmt.Sprintf(`.matrix td[data-from=%q][data-to=%q]`, from, to)))
	matches(t, tt, n, fmt.Sprintf("matrix cell %s -> %s", from, to))
}

// checkTagBar clicks the piece of the most frequent tag that its biggest
// segment holds and expects those customers.
func checkTagBar(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var tag, seg string
	var n int64
	err := rc.db.QueryRow(`SELECT tag, segment_code, count(*) FROM (SELECT unnest(tags) AS tag, segment_code FROM snapshots WHERE as_of = ?)
		GROUP BY tag, segment_code ORDER BY count(*) DESC, tag, segment_code LIMIT 1`, rc.asOf).Scan(&tag, &seg, &n)
	if err == sql.ErrNoRows {
		return // no tags
	}
	if err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`(() => {
		const c = echarts.getInstanceByDom(document.getElementById("chart-tags"));
		const o = c.getOption(), y = o.yAxis[0].data.indexOf(%q);
		let before = 0, k = -1;
		o.series.forEach((s, i) => { if (s.id === %q) { k = i; } else if (k < 0) { before += s.data[y]; } });
		return JSON.stringify([before + o.series[k].data[y] / 2, y, k]);
	})()`, tag, seg)
	var at []float64
	if err := json.Unmarshal([]byte(eval[string](t, tt, js)), &at); err != nil || len(at) != 3 {
		t.Fatalf("tag %s, segment %s: no bar (%v)", tag, seg, err)
	}
	x, y := chartPointOf(t, tt, "tags", int(at[2]), fmt.Sprintf("[%v, %v]", at[0], at[1]))
	tt.do(t, chromedp.MouseClickXY(x, y))
	matches(t, tt, n, fmt.Sprintf("tag bar %s of segment %s", tag, seg))
}

// checkPinned searches a customer pinned by the manual file and expects
// its row marked as pinned.
func checkPinned(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var code string
	err := rc.db.QueryRow(`SELECT coalesce(customer_code, customer_key) FROM snapshots WHERE as_of = ? AND manual ORDER BY customer_key LIMIT 1`, rc.asOf).Scan(&code)
	if err == sql.ErrNoRows {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	checkSearch(t, tt, code)
	checkCard(t, tt, rc, code) // with its pin
	pinned := eval[bool](t, tt, `(() => { const tr = document.querySelector("#cust-body tr[data-row]"); return tr.classList.contains("pinned") && tr.querySelector(".pin") !== null; })()`)
	if !pinned {
		t.Errorf("customer %s is pinned by the manual file, but its row is not marked", code)
	}
}

// checkPrint lays the page out for print, A4 wide, and expects every chart
// inside its box; it keeps the page as a PDF for people to look at.
func checkPrint(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	tt.do(t, chromedp.EmulateViewport(700, 1000), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	time.Sleep(300 * time.Millisecond)
	cut := eval[[]string](t, tt, `(() => [...document.querySelectorAll("[data-chart]")].filter(el => {
		const cv = el.querySelector("canvas");
		return !cv || cv.getBoundingClientRect().right > el.getBoundingClientRect().right + 1 || el.getBoundingClientRect().right > window.innerWidth + 1;
	}).map(el => el.dataset.chart))()`)
	if len(cut) > 0 {
		t.Errorf("printed on A4, these charts pass their box: %v", cut)
	}
	wide := eval[[]string](t, tt, `[...document.querySelectorAll("main table")].filter(tb => tb.getBoundingClientRect().right > window.innerWidth + 1)
		.map(tb => (tb.closest("section") || {}).id + ": " + Math.round(tb.getBoundingClientRect().right) + " px")`)
	if len(wide) > 0 {
		t.Errorf("printed on A4 (%d px wide), these tables pass the page: %v", 700, wide)
	}
	ctx, cancel := context.WithTimeout(tt.ctx, 30*time.Second)
	defer cancel()
	pdf, err := chromedp.Run(ctx, chromedp.Action[[]byte](func(ctx context.Context, _ *chromedp.Target) ([]byte, error) {
		r, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, PrintBackground: ptr(true), PreferCSSPageSize: ptr(true)})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	if err := os.WriteFile(filepath.Join(artifacts(t), rc.name+"-a4.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	tt.do(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}), chromedp.EmulateViewport(1400, 900))
	time.Sleep(300 * time.Millisecond)
}

// checkHistogramBin clicks the second bin of the recency histogram and
// expects the customers with an order whose recency falls in it.
func checkHistogramBin(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	js := `(() => { const h = JSON.parse(document.getElementById("report-data").textContent).hist.recency_days; return JSON.stringify([h.start, h.width, h.counts.length, h.counts[1] || 0]); })()`
	var h []float64
	if err := json.Unmarshal([]byte(eval[string](t, tt, js)), &h); err != nil || len(h) != 4 {
		t.Fatalf("no recency histogram: %v", err)
	}
	if h[2] < 3 || h[3] == 0 {
		return // too few bins to pick a closed one
	}
	lo, hi := h[0]+h[1], h[0]+2*h[1]
	var n int64
	if err := rc.db.QueryRow(`SELECT count(*) FROM snapshots WHERE as_of = ? AND frequency >= 1 AND recency_days >= ? AND recency_days < ?`,
		rc.asOf, lo, hi).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int64(h[3]) != n {
		t.Errorf("the recency histogram counts %v customers in [%v, %v), the database %d", h[3], lo, hi, n)
	}
	x, y := chartPoint(t, tt, "hist_r", fmt.Sprintf("[1, %v]", h[3]/2))
	tt.do(t, chromedp.MouseClickXY(x, y))
	matches(t, tt, n, fmt.Sprintf("recency bin [%v, %v)", lo, hi))
}

// checkPinyinSearch types the pinyin initials of a customer's Chinese name
// and expects the customer among the rows.
func checkPinyinSearch(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var code, name string
	err := rc.db.QueryRow(`SELECT coalesce(customer_code, customer_key), customer_name FROM snapshots WHERE as_of = ?
		AND regexp_matches(customer_name, '^[一-龥]{2}') ORDER BY customer_key LIMIT 1`, rc.asOf).Scan(&code, &name)
	if err == sql.ErrNoRows {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	initials := reports.PinyinInitials(name)
	tt.do(t, chromedp.Click("#f-clear"), chromedp.SendKeys("#f-q", initials))
	js := fmt.Sprintf(`[...document.querySelectorAll("#cust-body tr[data-row] td:first-child")].some(td => td.textContent === %q)`, code)
	ctx, cancel := context.WithTimeout(tt.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
		t.Errorf("searched %q, the initials of %s %s: the customer is not on the first page", initials, code, name)
	}
	tt.do(t, chromedp.Click("#f-clear"))
}

// checkSort sorts the table by days since the last order and expects the
// first page in that order, starting at the database's least.
func checkSort(t *testing.T, tt *tab, rc reportCase) {
	t.Helper()
	var least int64
	if err := rc.db.QueryRow(`SELECT min(recency_days) FROM snapshots WHERE as_of = ?`, rc.asOf).Scan(&least); err != nil {
		t.Fatal(err)
	}
	tt.do(t, chromedp.Click("#f-clear"), chromedp.Click(`#cust-head th[data-sort="rec"]`))
	got := eval[[]float64](t, tt, `[...document.querySelectorAll("#cust-body tr[data-row]")].map(tr => Number(tr.children[4].textContent.replace(/,/g, "")))`)
	if len(got) == 0 || int64(got[0]) != least {
		t.Fatalf("sorted by days since the last order, the table starts with %v; the least is %d", got[:min(len(got), 3)], least)
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Errorf("sorted by days since the last order, row %d (%v) comes after %v", i+1, got[i], got[i-1])
			break
		}
	}
}
