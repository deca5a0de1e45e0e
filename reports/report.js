"use strict";
// The report's own script: it draws the charts from the page data, unpacks
// the customers (gzip, base64) with the browser's DecompressionStream and
// runs the customer table, its filters, the CSV download and the customer
// card. Text from data only ever reaches the page through textContent, and
// ECharts tooltips through esc().
(function () {
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var T = D.t || {};
  var charts = {};
  var C = null; // the customers, once unpacked

  function t(k) { return Object.prototype.hasOwnProperty.call(T, k) ? T[k] : k; }
  // tf fills %s (and %d) in order, or %[n]s by position.
  function tf(k) {
    var args = Array.prototype.slice.call(arguments, 1), n = 0;
    return t(k).replace(/%(\[(\d+)\])?[sd]/g, function (_, __, pos) {
      var v = pos ? args[Number(pos) - 1] : args[n++];
      return v === undefined ? "" : String(v);
    });
  }
  var grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  var grouped2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function num(x) { return x === null || x === undefined ? "–" : grouped.format(x); }
  function money(x) {
    if (x === null || x === undefined) { return "–"; }
    return (x < 0 ? "-" : "") + D.currency + grouped.format(Math.abs(x));
  }
  function money2(x) {
    if (x === null || x === undefined) { return "–"; }
    return (x < 0 ? "-" : "") + D.currency + grouped2.format(Math.abs(x));
  }
  // compact writes large numbers short for axes and small cells: 1.2万 / 1.2K.
  function compact(x) {
    var a = Math.abs(x), s = x < 0 ? "-" : "";
    function f(v) { return String(Math.round(v * 10) / 10); }
    if (D.lang === "zh") {
      if (a >= 1e8) { return s + f(a / 1e8) + "亿"; }
      if (a >= 1e4) { return s + f(a / 1e4) + "万"; }
      return s + grouped.format(a);
    }
    if (a >= 1e9) { return s + f(a / 1e9) + "B"; }
    if (a >= 1e6) { return s + f(a / 1e6) + "M"; }
    if (a >= 1e4) { return s + f(a / 1e3) + "K"; }
    return s + grouped.format(a);
  }
  function compactMoney(x) { return (x < 0 ? "-" : "") + D.currency + compact(Math.abs(x)); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function textWidth(s, px) { // about: CJK characters are square, others half
    var w = 0;
    for (var i = 0; i < s.length; i++) { w += s.charCodeAt(i) > 0x2e80 ? px : px * 0.6; }
    return w;
  }
  function label(code) { return code === "" ? t("not_before") : (D.labels[code] || code); }
  function color(code) { return D.colors[code] || "#9ca3af"; }

  // ---- charts ----------------------------------------------------------

  // Every chart's options (series, data, axes, colours, label positions,
  // grid, tooltip) are built in Go with go-echarts (report_echarts.go) and
  // come in D.options. Here they get only what ECharts takes as a function
  // (formatters of grouped amounts, the value axes' room for the labels),
  // the sizes that depend on the width the chart has in this browser, the
  // click handlers for the drill-down, and the few settings go-echarts'
  // types have no field for (each said where it is set).
  function init(id) {
    var box = document.getElementById("chart-" + id);
    if (!box) { return null; }
    var c = echarts.init(box, null, { renderer: "canvas" });
    charts[id] = c;
    return c;
  }
  // optionOf is a fresh copy of a chart's options from the page data, so
  // that a redraw starts from them again.
  function optionOf(id) { return JSON.parse(JSON.stringify(D.options[id])); }
  // finish sets what no go-echarts type holds: the page's font for all
  // text, and the pointer over clickable series.
  function finish(o, clickable) {
    o.textStyle = { fontFamily: "inherit" };
    if (clickable) { o.series.forEach(function (s) { s.cursor = "pointer"; }); }
    return o;
  }

  function segmentBars(id, key, full, short) {
    var c = init(id);
    if (!c) { return; }
    var segs = D.segments, W = c.getWidth();
    var horizontal = segs.length > 5 || W < 560;
    var o = optionOf(id)[horizontal ? "h" : "v"];
    var top = Math.max.apply(null, segs.map(function (s) { return s[key]; }).concat([0]));
    var widest = Math.max.apply(null, segs.map(function (s) { return textWidth(full(s[key]), 12); }).concat([20]));
    var valueAxis = horizontal ? o.xAxis[0] : o.yAxis[0], catAxis = horizontal ? o.yAxis[0] : o.xAxis[0];
    valueAxis.axisLabel.formatter = short;
    catAxis.axisTick = { alignWithLabel: true }; // go-echarts' Y axis has no axisTick
    if (horizontal) {
      var catW = Math.min(170, Math.round(W * 0.34));
      var plotW = Math.max(60, W - catW - 40);
      var room = Math.min(0.7, (widest + 12) / plotW);
      valueAxis.max = top > 0 ? function (v) { return v.max / (1 - room); } : null;
      catAxis.axisLabel.width = catW;
      c.getDom().style.height = Math.max(220, segs.length * 30 + 40) + "px";
      c.resize();
    } else {
      catAxis.axisLabel.width = Math.max(40, W / Math.max(1, segs.length) - 10);
      valueAxis.max = top > 0 ? function (v) { return v.max * 1.12; } : null;
    }
    o.tooltip.formatter = function (p) { return esc(p.name) + "<br>" + esc(full(p.value)); };
    o.series[0].label.formatter = function (p) { return full(p.value); };
    c.setOption(finish(o, true));
    c.on("click", function (p) { var s = segs[p.dataIndex]; if (p.componentType === "series" && s) { drill({ seg: s.code }); } });
  }

  function pareto() {
    var c = init("pareto");
    if (!c) { return; }
    var o = optionOf("pareto");
    o.tooltip.formatter = function (ps) {
      var v = ps[0].value;
      return esc(tf("tip_pareto", v[0].toFixed(1) + "%", v[1].toFixed(1) + "%"));
    };
    o.yAxis[0].nameTextStyle = { align: "left" }; // go-echarts' Y axis has no nameTextStyle
    o.series[0].markLine.silent = true; // nor its mark line a silent
    c.setOption(finish(o, false));
  }

  function heatmap(id, cellText, tipText) {
    var c = init(id);
    if (!c) { return; }
    var o = optionOf(id);
    o.tooltip.formatter = function (p) {
      return esc(tf("tip_rf", p.value[0] + 1, p.value[1] + 1)) + "<br>" + esc(tipText(p.value[2]));
    };
    var vm = o.visualMap[0];
    vm.formatter = function (v) { return cellText(v); };
    vm.itemWidth = 12; // go-echarts' visual map has no item size
    vm.itemHeight = 110;
    o.series[0].label.formatter = function (p) { return cellText(p.value[2]); };
    c.setOption(finish(o, true));
    c.on("click", function (p) {
      if (p.value) { drill({ r: [p.value[0] + 1, p.value[0] + 1], f: [p.value[1] + 1, p.value[1] + 1] }); }
    });
  }

  var histMetric = { hist_r: "recency_days", hist_f: "frequency", hist_m: "monetary" };
  function binRange(h, i) {
    var n = h.counts.length;
    return { lo: i === 0 ? -Infinity : h.start + i * h.width, hi: i === n - 1 ? Infinity : h.start + (i + 1) * h.width };
  }
  function histogram(id) {
    var c = init(id);
    if (!c) { return; }
    var m = histMetric[id], h = D.hist[m], o = optionOf(id);
    o.tooltip.formatter = function (p) { return esc(p.name) + "<br>" + esc(tf("n_customers", num(p.value))); };
    o.yAxis[0].nameTextStyle = { align: "left" }; // go-echarts' Y axis has no nameTextStyle
    o.yAxis[0].axisLabel.formatter = compact;
    c.setOption(finish(o, true));
    c.on("click", function (p) { var r = binRange(h, p.dataIndex); drill({ rng: { metric: m, lo: r.lo, hi: r.hi, label: p.name } }); });
  }

  var sankeyMode = "customers";
  function sankey() {
    var c = init("moves");
    if (!c) { return; }
    // The nodes are "p:CODE" (previous snapshot) and "n:CODE" (now); the
    // page names them in its language.
    var names = {}, left = 0, right = 0, byPair = {};
    optionOf("moves").customers.series[0].data.forEach(function (n) {
      var code = n.name.slice(2), prev = n.name.charAt(0) === "p";
      names[n.name] = code === "" ? t("not_before") : (prev ? t("prev") : t("now")) + " " + label(code);
      if (prev) { left++; } else { right++; }
    });
    D.moves.forEach(function (m) { byPair["p:" + m.From + "\u0000n:" + m.To] = m; });
    var W = c.getWidth(), H = Math.max(320, Math.max(left, right) * 34 + 20);
    c.getDom().style.height = H + "px";
    c.resize();
    function draw() {
      var out = 0;
      D.moves.forEach(function (m) { if ((sankeyMode === "customers" ? m.Customers : m.Revenue) <= 0) { out += m.Customers; } });
      // A flow of no or negative revenue has no width to draw: say so.
      var note = document.getElementById("moves-note");
      if (note) { note.textContent = out ? tf("moves_left_out", num(out)) : ""; }
      var o = optionOf("moves")[sankeyMode], s = o.series[0];
      o.tooltip.formatter = function (p) {
        if (p.dataType === "edge") {
          var m = byPair[p.data.source + "\u0000" + p.data.target];
          return esc(names[p.data.source]) + " → " + esc(names[p.data.target]) + "<br>" +
            esc(tf("n_customers", num(m.Customers))) + " · " + esc(money(m.Revenue));
        }
        return esc(names[p.name]);
      };
      s.label.formatter = function (p) { return names[p.name]; };
      s.label.width = Math.max(60, Math.round(W * 0.3));
      s.label.overflow = "truncate"; // go-echarts' label has no width nor overflow
      s.layoutIterations = 0; // nor its Sankey series layoutIterations: the nodes stay in rule order
      c.setOption(finish(o, true), true);
    }
    draw();
    c.on("click", function (p) {
      if (p.dataType === "edge") { drill({ pair: { from: p.data.source.slice(2), to: p.data.target.slice(2) } }); }
      else if (p.name && p.name.indexOf("n:") === 0) { drill({ seg: p.name.slice(2) }); }
      else if (p.name && p.name.indexOf("p:") === 0) { drill({ prevSeg: p.name.slice(2) }); }
    });
    document.querySelectorAll("[data-sankey]").forEach(function (b) {
      b.addEventListener("click", function () {
        sankeyMode = b.getAttribute("data-sankey");
        document.querySelectorAll("[data-sankey]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
        draw();
      });
    });
  }

  function historyChart() {
    var c = init("history");
    if (!c) { return; }
    var o = optionOf("history");
    o.tooltip.formatter = function (ps) {
      if (!ps.length) { return ""; }
      return esc(echarts.time.format(ps[0].value[0], "{yyyy}-{MM}-{dd}")) + "<br>" + ps.map(function (p) {
        return esc(p.seriesName) + ": " + esc(num(p.value[1]));
      }).join("<br>");
    };
    // A formatter per level of the time axis: an object, which go-echarts' formatter (a string) cannot hold.
    o.xAxis[0].axisLabel.formatter = { year: "{yyyy}", month: "{yyyy}-{MM}", day: "{MM}-{dd}" };
    o.yAxis[0].nameTextStyle = { align: "left" }; // go-echarts' Y axis has no nameTextStyle
    o.yAxis[0].axisLabel.formatter = compact;
    c.setOption(finish(o, false));
  }

  // stacked is the tags or the categories by segment; each series' id is its segment's code.
  function stacked(id, key) {
    var c = init(id);
    if (!c) { return; }
    var o = optionOf(id), W = c.getWidth();
    c.getDom().style.height = Math.max(300, o.yAxis[0].data.length * 26 + 90) + "px";
    c.resize();
    o.tooltip.formatter = function (p) {
      return esc(p.name) + "<br>" + esc(p.seriesName) + ": " + esc(tf("n_customers", num(p.value)));
    };
    o.xAxis[0].axisLabel.formatter = compact;
    o.yAxis[0].axisLabel.width = Math.min(150, Math.round(W * 0.32));
    c.setOption(finish(o, true));
    c.on("click", function (p) {
      var f = { seg: p.seriesId };
      f[key] = p.name;
      drill(f);
    });
  }

  function drawCharts() {
    var has = D.charts || {};
    if (has.seg_customers) { segmentBars("seg_customers", "customers", num, compact); }
    if (has.seg_revenue) { segmentBars("seg_revenue", "revenue", money, compactMoney); }
    if (has.pareto) { pareto(); }
    if (has.rf_count) { heatmap("rf_count", num, function (v) { return tf("n_customers", num(v)); }); }
    if (has.rf_avg) { heatmap("rf_avg", compactMoney, function (v) { return tf("avg_revenue", money(v)); }); }
    ["hist_r", "hist_f", "hist_m"].forEach(function (id) { if (has[id]) { histogram(id); } });
    if (has.moves) { sankey(); }
    if (has.history) { historyChart(); }
    if (has.tags) { stacked("tags", "tag"); }
    if (has.categories) { stacked("categories", "cat"); }
  }

  var resizeTimer = 0, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      if (window.innerWidth === lastWidth) { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); return; }
      lastWidth = window.innerWidth;
      redraw();
    }, 100);
  });
  // Charts are drawn again at the page's width, so that they print whole on A4.
  function redraw() {
    Object.keys(charts).forEach(function (k) { charts[k].dispose(); delete charts[k]; });
    drawCharts();
  }
  if (window.matchMedia) {
    var pm = window.matchMedia("print");
    var onPrint = function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); };
    if (pm.addEventListener) { pm.addEventListener("change", onPrint); }
  }
  window.addEventListener("beforeprint", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  window.addEventListener("afterprint", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });

  // ---- customers -------------------------------------------------------

  // b85bytes reads the base85 of report_customers.go: 5 digits for each 4
  // bytes, a last group of k bytes as k + 1 digits.
  var B85 = "!#$%()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{";
  function b85bytes(s) {
    var val = new Uint8Array(128), i, j;
    for (i = 0; i < B85.length; i++) { val[B85.charCodeAt(i)] = i; }
    var full = Math.floor(s.length / 5), rest = s.length % 5;
    var out = new Uint8Array(full * 4 + (rest ? rest - 1 : 0)), o = 0;
    for (i = 0; i < s.length; i += 5) {
      var v = 0, n = Math.min(5, s.length - i);
      for (j = 0; j < 5; j++) { v = v * 85 + (j < n ? val[s.charCodeAt(i + j)] : 84); }
      for (j = 0; j < n - 1; j++) { out[o++] = (v >>> (24 - 8 * j)) & 255; }
    }
    return out;
  }
  // scoreOf gives a score from the snapshot's cut points as report_customers.go does.
  function scoreOf(metric, x, orders) {
    if (orders < 1) { return 0; }
    var c = (D.cuts || []).filter(function (k) { return k.metric === metric; })[0];
    if (!c) { return 0; }
    var n = 0;
    for (var i = 0; i < c.cuts.length; i++) { if (x > c.cuts[i] || (c.method === "thresholds" && x === c.cuts[i])) { n++; } }
    return metric === "recency_days" ? c.cuts.length + 1 - n : 1 + n;
  }
  function unpack() {
    var bytes = b85bytes(D.customers);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(function (s) {
      var c = JSON.parse(s), i;
      // Columns written as what they add to another (see report_customers.go).
      var cents = 0;
      for (i = 0; i < c.n; i++) {
        cents = i === 0 ? c.mon[0] : cents - c.mon[i];
        c.mon[i] = cents / 100;
        if (c.aov[i] !== null) { c.aov[i] = (Math.floor(cents / c.freq[i] + 0.5) + c.aov[i]) / 100; }
        var rs = c.rseg[i] === 0 ? c.seg[i] : (c.rseg[i] < 0 ? -1 : c.rseg[i] - 1);
        c.rseg[i] = rs;
        c.rule[i] += rs >= 0 ? c.ruleBase[rs] : 0;
        c.prev[i] = c.prev[i] === 0 ? c.seg[i] : (c.prev[i] < 0 ? -1 : c.prev[i] - 1);
        c.r[i] += scoreOf("recency_days", c.rec[i] === null ? 0 : c.rec[i], c.freq[i]);
        c.f[i] += scoreOf("frequency", c.freq[i], c.freq[i]);
        c.m[i] += scoreOf("monetary", c.mon[i], c.freq[i]);
      }
      c.tagOff = new Int32Array(c.n + 1);
      var flat = [];
      for (i = 0; i < c.n; i++) {
        var set = c.tagSets[c.tset[i]];
        for (var j = 0; j < set.length; j++) { flat.push(set[j]); }
        c.tagOff[i + 1] = flat.length;
      }
      c.tagi = flat;

      c.nCur = D.segments.length;
      c.segIndex = {};
      c.segCodes.forEach(function (code, i) { c.segIndex[code] = i; });
      c.histPos = [];
      return c;
    });
  }
  function segCode(i) { return i < 0 ? "" : C.segCodes[i]; }
  function tagsOf(i) {
    var out = [];
    for (var k = C.tagOff[i]; k < C.tagOff[i + 1]; k++) { out.push(C.tags[C.tagi[k]]); }
    return out;
  }
  function hasTag(i, tag) {
    for (var k = C.tagOff[i]; k < C.tagOff[i + 1]; k++) { if (C.tagi[k] === tag) { return true; } }
    return false;
  }

  // F is the table's filter; drill-downs set it from a chart.
  var F, sortKey = "mon", sortDir = -1, page = 0, pageSize = 50, order = null, rows = [];
  function clearFilter() {
    F = { q: "", seg: -1, prevSeg: null, tag: -1, cat: -1, move: "", pair: null, r: [0, 0], f: [0, 0], m: [0, 0], rng: null, pinned: false };
  }
  clearFilter();

  var metricCol = { recency_days: "rec", frequency: "freq", monetary: "mon" };
  function match(i) {
    if (F.seg !== -1 && C.seg[i] !== F.seg) { return false; }
    if (F.prevSeg !== null && C.prev[i] !== F.prevSeg) { return false; }
    if (F.tag !== -1 && !hasTag(i, F.tag)) { return false; }
    if (F.cat !== -1 && C.cat[i] !== F.cat) { return false; }
    if (F.pinned && !C.man[i]) { return false; }
    var sc = ["r", "f", "m"];
    for (var s = 0; s < 3; s++) {
      var b = F[sc[s]], v = C[sc[s]][i];
      if ((b[0] || b[1]) && (v === 0 || (b[0] && v < b[0]) || (b[1] && v > b[1]))) { return false; }
    }
    if (F.pair && (C.prev[i] !== F.pair.from || C.seg[i] !== F.pair.to)) { return false; }
    if (F.move) {
      var p = C.prev[i], g = C.seg[i];
      switch (F.move) {
        case "new": if (p !== -1) { return false; } break;
        case "same": if (p !== g) { return false; } break;
        case "changed": if (p === -1 || p === g) { return false; } break;
        case "up": if (p < 0 || p >= C.nCur || g >= C.nCur || g >= p) { return false; } break;
        case "down": if (p < 0 || p >= C.nCur || g >= C.nCur || g <= p) { return false; } break;
      }
    }
    if (F.rng) {
      var x = C[metricCol[F.rng.metric]][i];
      if (C.freq[i] < 1 || x === null || !(x >= F.rng.lo && x < F.rng.hi)) { return false; }
    }
    if (F.q && haystack()[i].indexOf(F.q) < 0) { return false; }
    return true;
  }

  // haystack is each customer's code, name and the pinyin initials of the
  // name (客户 -> kh; report_text.go has the table) in lower case, made at
  // the first search.
  function haystack() {
    if (!C.hay) {
      var ini = {};
      Object.keys(D.pinyin || {}).forEach(function (letter) {
        var chars = D.pinyin[letter];
        for (var j = 0; j < chars.length; j++) { ini[chars[j]] = letter; }
      });
      C.hay = new Array(C.n);
      for (var k = 0; k < C.n; k++) {
        var name = C.name[k].toLowerCase(), initials = "";
        for (var c = 0; c < name.length; c++) {
          var ch = name[c];
          if (/[a-z0-9]/.test(ch)) { initials += ch; } else if (ini[ch]) { initials += ini[ch]; }
        }
        C.hay[k] = C.code[k].toLowerCase() + "\u0001" + name + "\u0001" + initials;
      }
    }
    return C.hay;
  }
  var collator = new Intl.Collator(D.lang === "zh" ? "zh-CN" : "en", { numeric: true });
  var sortValue = {
    code: function (i) { return C.code[i]; }, name: function (i) { return C.name[i]; },
    seg: function (i) { return C.seg[i]; }, rfm: function (i) { return C.r[i] ? C.r[i] * 100 + C.f[i] * 10 + C.m[i] : null; },
    rec: function (i) { return C.rec[i]; }, freq: function (i) { return C.freq[i]; }, mon: function (i) { return C.mon[i]; },
    abc: function (i) { return C.abc[i] || null; }, move: function (i) { return C.prev[i] * 1000 + C.seg[i]; },
    tags: function (i) { return C.tagOff[i + 1] - C.tagOff[i]; }
  };
  function sortRows() {
    var n = C.n, idx = new Array(n), key = sortValue[sortKey], vals = new Array(n);
    for (var i = 0; i < n; i++) { idx[i] = i; vals[i] = key(i); }
    var text = sortKey === "code" || sortKey === "name";
    idx.sort(function (a, b) {
      var x = vals[a], y = vals[b];
      if (x === null || x === "") { return (y === null || y === "") ? a - b : 1; }
      if (y === null || y === "") { return -1; }
      var d = text ? collator.compare(x, y) : x - y;
      return d !== 0 ? d * sortDir : a - b;
    });
    order = idx;
  }
  // applyFilter lists the matching customers in the sort order; a search
  // puts the customers whose code or name is the text itself first, then
  // those that start with it.
  function applyFilter() {
    rows = [];
    for (var k = 0; k < order.length; k++) { if (match(order[k])) { rows.push(order[k]); } }
    if (F.q) {
      var exact = [], prefix = [], rest = [];
      rows.forEach(function (i) {
        var c = C.code[i].toLowerCase(), n = C.name[i].toLowerCase();
        if (c === F.q || n === F.q) { exact.push(i); }
        else if (c.indexOf(F.q) === 0 || n.indexOf(F.q) === 0) { prefix.push(i); }
        else { rest.push(i); }
      });
      rows = exact.concat(prefix, rest);
    }
  }

  var $ = function (id) { return document.getElementById(id); };
  var columns = [
    { key: "code", label: "col_code" }, { key: "name", label: "col_name" }, { key: "seg", label: "col_segment" },
    { key: "rfm", label: "col_rfm" }, { key: "rec", label: "col_recency", n: true }, { key: "freq", label: "col_freq", n: true },
    { key: "mon", label: "col_revenue", n: true }, { key: "abc", label: "col_abc" }, { key: "move", label: "col_move" },
    { key: "tags", label: "col_tags" }
  ];
  function segBadge(code, pinned) {
    var s = el("span", "seg");
    var dot = el("i", "dot");
    dot.style.background = color(code);
    s.appendChild(dot);
    s.appendChild(document.createTextNode(label(code)));
    if (pinned) { s.appendChild(el("span", "pin", t("pinned"))); }
    return s;
  }
  function cell(i, key) {
    var td = el("td", "");
    switch (key) {
      case "code": td.textContent = C.code[i]; break;
      case "name": td.textContent = C.name[i]; break;
      case "seg": td.appendChild(segBadge(segCode(C.seg[i]), C.man[i] === 1)); break;
      case "rfm": td.textContent = C.r[i] ? C.r[i] + "/" + C.f[i] + "/" + C.m[i] : "–"; break;
      case "rec": td.textContent = num(C.rec[i]); td.className = "n"; break;
      case "freq": td.textContent = num(C.freq[i]); td.className = "n"; break;
      case "mon": td.textContent = money(C.mon[i]); td.className = "n"; break;
      case "abc": td.textContent = C.abcs[C.abc[i]] || "–"; break;
      case "move":
        if (!D.prevDate) { td.textContent = "–"; }
        else if (C.prev[i] === -1) { td.textContent = t("not_before"); td.className = "muted"; }
        else if (C.prev[i] === C.seg[i]) { td.textContent = t("unchanged"); td.className = "muted"; }
        else { td.textContent = label(segCode(C.prev[i])) + " → " + label(segCode(C.seg[i])); }
        break;
      case "tags": td.textContent = tagsOf(i).join(", "); break;
    }
    if (key === "name" || key === "tags" || key === "move") { td.title = td.textContent; } // cut with an ellipsis when long
    return td;
  }
  function renderHead() {
    var tr = $("cust-head");
    tr.textContent = "";
    columns.forEach(function (c) {
      var th = el("th", c.n ? "n sortable" : "sortable", t(c.label));
      th.setAttribute("data-sort", c.key);
      th.setAttribute("aria-sort", c.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(c.key); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(c.key); } });
      tr.appendChild(th);
    });
  }
  function sortBy(key) {
    if (sortKey === key) { sortDir = -sortDir; } else { sortKey = key; sortDir = (key === "mon" || key === "freq") ? -1 : 1; }
    sortRows();
    refresh(true);
  }
  function renderBody() {
    var body = $("cust-body");
    body.textContent = "";
    var pages = Math.max(1, Math.ceil(rows.length / pageSize));
    page = Math.min(page, pages - 1);
    var from = page * pageSize, to = Math.min(rows.length, from + pageSize);
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var i = rows[k], tr = el("tr", C.man[i] ? "pinned" : "");
      tr.setAttribute("data-row", String(i));
      tr.tabIndex = 0;
      columns.forEach(function (c) { tr.appendChild(cell(i, c.key)); });
      frag.appendChild(tr);
    }
    body.appendChild(frag);
    if (rows.length === 0) {
      var tr0 = el("tr"), td0 = el("td", "empty", t("no_match"));
      td0.colSpan = columns.length;
      tr0.appendChild(td0);
      body.appendChild(tr0);
    }
    var rev = 0;
    for (var j = 0; j < rows.length; j++) { rev += C.mon[rows[j]]; }
    $("cust-count").textContent = tf("shown", num(rows.length === 0 ? 0 : from + 1), num(to), num(rows.length), num(C.n), money(rev));
    $("cust-count").setAttribute("data-matches", String(rows.length));
    $("page-info").textContent = tf("page_of", num(page + 1), num(pages));
    $("page-prev").disabled = page === 0;
    $("page-next").disabled = page >= pages - 1;
  }
  function renderChips() {
    var box = $("cust-chips");
    box.textContent = "";
    var chips = [];
    if (F.seg >= 0) { chips.push([t("col_segment") + " = " + label(segCode(F.seg)), function () { F.seg = -1; }]); }
    if (F.prevSeg !== null) { chips.push([t("prev") + " = " + label(segCode(F.prevSeg)), function () { F.prevSeg = null; }]); }
    if (F.pair) { chips.push([label(segCode(F.pair.from)) + " → " + label(segCode(F.pair.to)), function () { F.pair = null; }]); }
    if (F.tag >= 0) { chips.push([t("col_tags") + " = " + C.tags[F.tag], function () { F.tag = -1; }]); }
    if (F.cat >= 0) { chips.push([t("col_category") + " = " + C.cats[F.cat], function () { F.cat = -1; }]); }
    if (F.rng) { chips.push([t("ax_" + F.rng.metric) + ": " + F.rng.label, function () { F.rng = null; }]); }
    ["r", "f", "m"].forEach(function (s) {
      var b = F[s];
      if (b[0] || b[1]) {
        chips.push([s.toUpperCase() + " " + (b[0] || 1) + "–" + (b[1] || C.maxScore), function () { F[s] = [0, 0]; }]);
      }
    });
    chips.forEach(function (c) {
      var b = el("button", "chip", c[0] + " ×");
      b.type = "button";
      b.title = t("remove_filter");
      b.addEventListener("click", function () { c[1](); syncControls(); refresh(true); });
      box.appendChild(b);
    });
  }
  function refresh(toFirst) {
    if (toFirst) { page = 0; }
    applyFilter();
    renderHead();
    renderChips();
    renderBody();
  }
  function syncControls() {
    $("f-q").value = F.q;
    $("f-seg").value = String(F.seg);
    $("f-tag").value = String(F.tag);
    $("f-move").value = F.move;
    $("f-pinned").checked = F.pinned;
    ["r", "f", "m"].forEach(function (s) {
      $("f-" + s + "-lo").value = String(F[s][0] || "");
      $("f-" + s + "-hi").value = String(F[s][1] || "");
    });
  }
  function option(sel, value, text) {
    var o = el("option", "", text);
    o.value = value;
    sel.appendChild(o);
  }
  function buildControls() {
    var seg = $("f-seg");
    option(seg, "-1", t("all_segments"));
    C.segCodes.forEach(function (code, i) { if (i < C.nCur) { option(seg, String(i), label(code)); } });
    var tag = $("f-tag");
    option(tag, "-1", t("all_tags"));
    C.tags.map(function (name, i) { return [name, i]; }).sort(function (a, b) { return collator.compare(a[0], b[0]); })
      .forEach(function (x) { option(tag, String(x[1]), x[0]); });
    var move = $("f-move");
    [["", "move_all"], ["changed", "move_changed"], ["up", "move_up"], ["down", "move_down"], ["same", "move_same"], ["new", "move_new"]]
      .forEach(function (m) { option(move, m[0], t(m[1])); });
    move.disabled = !D.prevDate;
    C.maxScore = 1;
    for (var i = 0; i < C.n; i++) { C.maxScore = Math.max(C.maxScore, C.r[i], C.f[i], C.m[i]); }
    ["r", "f", "m"].forEach(function (s) {
      ["lo", "hi"].forEach(function (end) {
        var sel = $("f-" + s + "-" + end);
        option(sel, "", end === "lo" ? t("min") : t("max"));
        for (var v = 1; v <= C.maxScore; v++) { option(sel, String(v), String(v)); }
        sel.addEventListener("change", function () {
          F[s][end === "lo" ? 0 : 1] = Number(sel.value) || 0;
          refresh(true);
        });
      });
    });
    var qTimer = 0;
    $("f-q").addEventListener("input", function () {
      clearTimeout(qTimer);
      qTimer = setTimeout(function () { F.q = $("f-q").value.trim().toLowerCase(); refresh(true); }, C.n > 20000 ? 150 : 0);
    });
    seg.addEventListener("change", function () { F.seg = Number(seg.value); refresh(true); });
    tag.addEventListener("change", function () { F.tag = Number(tag.value); refresh(true); });
    move.addEventListener("change", function () { F.move = move.value; refresh(true); });
    $("f-pinned").addEventListener("change", function () { F.pinned = $("f-pinned").checked; refresh(true); });
    $("f-clear").addEventListener("click", function () { clearFilter(); syncControls(); refresh(true); });
    $("f-csv").addEventListener("click", downloadCSV);
    $("page-prev").addEventListener("click", function () { page--; renderBody(); });
    $("page-next").addEventListener("click", function () { page++; renderBody(); });
    var size = $("page-size");
    [25, 50, 100, 500].forEach(function (n) { option(size, String(n), tf("per_page", n)); });
    size.value = String(pageSize);
    size.addEventListener("change", function () { pageSize = Number(size.value); page = 0; renderBody(); });
    $("cust-body").addEventListener("click", function (e) {
      var tr = e.target.closest("tr[data-row]");
      if (tr) { openCard(Number(tr.getAttribute("data-row"))); }
    });
    $("cust-body").addEventListener("keydown", function (e) {
      var tr = e.target.closest("tr[data-row]");
      if (tr && e.key === "Enter") { openCard(Number(tr.getAttribute("data-row"))); }
    });
  }

  // drill sets the filter from a chart and brings the table into view.
  var pending = null;
  function drill(f) {
    if (!C) { pending = f; return; }
    clearFilter();
    if (f.seg !== undefined) { F.seg = C.segIndex[f.seg] === undefined ? -2 : C.segIndex[f.seg]; }
    if (f.prevSeg !== undefined) { F.prevSeg = f.prevSeg === "" ? -1 : (C.segIndex[f.prevSeg] === undefined ? -2 : C.segIndex[f.prevSeg]); }
    if (f.pair) { F.pair = { from: f.pair.from === "" ? -1 : C.segIndex[f.pair.from], to: C.segIndex[f.pair.to] }; }
    if (f.tag !== undefined) { F.tag = C.tags.indexOf(f.tag); if (F.tag < 0) { F.tag = -2; } }
    if (f.cat !== undefined) { F.cat = C.cats.indexOf(f.cat); if (F.cat < 0) { F.cat = -2; } }
    if (f.r) { F.r = f.r.slice(); }
    if (f.f) { F.f = f.f.slice(); }
    if (f.rng) { F.rng = f.rng; }
    syncControls();
    refresh(true);
    $("customers").scrollIntoView({ block: "start" });
  }

  // ---- CSV -------------------------------------------------------------

  function csvCell(v, text) {
    if (v === null || v === undefined) { return ""; }
    var s = String(v);
    if (text && /^[=+\-@\t\r]/.test(s)) { s = "'" + s; } // a spreadsheet must not run it as a formula
    if (/[",\r\n]/.test(s)) { s = '"' + s.replace(/"/g, '""') + '"'; }
    return s;
  }
  function downloadCSV() {
    var head = ["customer_code", "customer_name", "segment_code", "segment_name", "manual", "tags", "r_score", "f_score", "m_score",
      "abc_class", "recency_days", "frequency", "monetary", "active_months", "tenure_days", "avg_order_value", "returns_share",
      "top_category", "top_category_share", "trend_ratio", "prev_segment", "segment_since"];
    var out = [head.join(",")];
    var names = C.segNames;
    for (var k = 0; k < rows.length; k++) {
      var i = rows[k], sc = C.seg[i];
      out.push([csvCell(C.code[i], true), csvCell(C.name[i], true), csvCell(C.segCodes[sc], true), csvCell(names[sc], true),
        C.man[i] ? "1" : "0", csvCell(tagsOf(i).join("|"), true),
        C.r[i] || "", C.f[i] || "", C.m[i] || "", C.abcs[C.abc[i]], csvCell(C.rec[i]), C.freq[i], C.mon[i].toFixed(2), C.am[i],
        csvCell(C.ten[i]), C.aov[i] === null ? "" : C.aov[i].toFixed(2), csvCell(C.ret[i]), csvCell(C.cats[C.cat[i]], true),
        csvCell(C.cs[i]), csvCell(C.tr[i]), csvCell(segCode(C.prev[i]), true), C.dates[C.since[i]]].join(","));
    }
    var blob = new Blob(["\ufeff" + out.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "customers-" + D.asOf + ".csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // ---- the customer card -----------------------------------------------

  // historyOf reads a customer's state at every snapshot date from the
  // changes, going back from the snapshot shown.
  function historyPositions(k) {
    if (!C.histPos[k]) {
      var ch = C.hist.Changes[k] || [null, null], d = ch[0] || [], pos = new Int32Array(d.length), at = 0;
      for (var j = 0; j < d.length; j++) { at += d[j]; pos[j] = at; }
      C.histPos[k] = pos;
    }
    return C.histPos[k];
  }
  function historyOf(i) {
    var H = C.hist, last = H.Dates.length - 1, out = [];
    var st = [C.seg[i], C.rseg[i], C.man[i], C.below[i], C.prev[i], C.since[i]];
    out.push({ date: H.Dates[last], trigger: H.Triggers[last], st: st });
    for (var k = last - 1; k >= 0; k--) {
      var pos = historyPositions(k), lo = 0, hi = pos.length - 1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (pos[mid] === i) { st = H.States[H.Changes[k][1][mid]]; break; }
        if (pos[mid] < i) { lo = mid + 1; } else { hi = mid - 1; }
      }
      if (st[0] >= 0) { out.push({ date: H.Dates[k], trigger: H.Triggers[k], st: st }); }
    }
    return out.reverse();
  }
  function scoreReason(metric, x, cut) {
    if (x === null || x === undefined || !cut) { return t("not_scored"); }
    var n = 0;
    cut.cuts.forEach(function (c) { if (x > c || (cut.method === "thresholds" && x === c)) { n++; } });
    var rel = t(cut.method === "thresholds" ? "at_or_above" : "above");
    if (metric === "recency_days") { return tf("reason_r", cut.cuts.length + 1, n, String(x), rel, n, cut.cuts.length); }
    return tf("reason_fm", n, String(x), rel, n, cut.cuts.length);
  }
  function kv(table, k, v, attr) {
    var tr = el("tr"), th = el("th", "", k), td = el("td", "", v);
    if (attr) { tr.setAttribute("data-key", attr); }
    tr.appendChild(th);
    tr.appendChild(td);
    table.appendChild(tr);
    return td;
  }
  function fourPlaces(x) { return x === null ? "–" : x.toFixed(4); }
  function openCard(i) {
    var box = $("card-body"), code = C.code[i];
    box.textContent = "";
    box.setAttribute("data-customer", code);
    var h = el("h2", "", code + " " + C.name[i]);
    box.appendChild(h);
    box.appendChild(segBadge(segCode(C.seg[i]), C.man[i] === 1));

    box.appendChild(el("h3", "", t("card_features")));
    var ft = el("table", "kv");
    var feats = [
      ["recency_days", num(C.rec[i])], ["frequency", num(C.freq[i])], ["monetary", money2(C.mon[i])],
      ["active_months", num(C.am[i])], ["tenure_days", num(C.ten[i])], ["avg_order_value", money2(C.aov[i])],
      ["returns_share", fourPlaces(C.ret[i])], ["top_category", C.cats[C.cat[i]] || "–"],
      ["top_category_share", fourPlaces(C.cs[i])], ["trend_ratio", fourPlaces(C.tr[i])]
    ];
    feats.forEach(function (f) { kv(ft, t("f_" + f[0]), f[1], f[0]); });
    box.appendChild(ft);

    box.appendChild(el("h3", "", t("card_scores")));
    var st = el("table", "kv");
    [["recency_days", "r", "rec"], ["frequency", "f", "freq"], ["monetary", "m", "mon"]].forEach(function (m) {
      var cut = (D.cuts || []).filter(function (c) { return c.metric === m[0]; })[0];
      var score = C[m[1]][i];
      var td = kv(st, m[1].toUpperCase() + " · " + t("f_" + m[0]), score ? String(score) : "–", m[1] + "_score");
      td.appendChild(el("span", "muted", "  " + scoreReason(m[0], C[m[2]][i], cut)));
    });
    var abc = C.abcs[C.abc[i]];
    var abcNote = D.paretoAB && D.paretoAB[0] ? "  " + tf("abc_note", Math.round(D.paretoAB[0] * 100) + "%", Math.round(D.paretoAB[1] * 100) + "%") : "";
    var atd = kv(st, t("col_abc"), abc || "–", "abc_class");
    atd.appendChild(el("span", "muted", abcNote));
    box.appendChild(st);

    box.appendChild(el("h3", "", t("card_rules")));
    var fired = C.rule[i];
    if (fired < 0) { fired = (D.rules || []).findIndex(function (r) { return r.code === segCode(C.rseg[i]); }); }
    if (D.rules && D.rules.length) {
      var ol = el("ol", "rules");
      D.rules.forEach(function (r, k) {
        var li = el("li", k === fired ? "fired" : (k < fired ? "no" : "untried"));
        li.setAttribute("data-rule", r.code);
        li.appendChild(el("strong", "", r.code + " " + r.name));
        li.appendChild(el("code", "", r.when));
        li.appendChild(el("span", "result", k === fired ? t("rule_fired") : (k < fired ? t("rule_no") : t("rule_untried"))));
        ol.appendChild(li);
      });
      box.appendChild(ol);
    } else {
      box.appendChild(el("p", "muted", tf("rule_gave", label(segCode(C.rseg[i])))));
    }
    var state = el("p", "state");
    state.setAttribute("data-key", "segment");
    state.textContent = tf("seg_since", label(segCode(C.seg[i])), C.dates[C.since[i]]) +
      (C.prev[i] >= 0 ? " · " + tf("seg_prev", label(segCode(C.prev[i]))) : "");
    box.appendChild(state);
    if (C.man[i]) {
      box.appendChild(el("p", "note", tf("pinned_note", label(segCode(C.rseg[i])))));
    } else if (C.rseg[i] !== C.seg[i]) {
      box.appendChild(el("p", "note", tf("waiting_note", label(segCode(C.rseg[i])), C.below[i], D.downgradeAfter)));
    }

    box.appendChild(el("h3", "", t("card_tags")));
    var tags = tagsOf(i), manual = (D.manual || {})[code] || [];
    if (!tags.length) { box.appendChild(el("p", "muted", t("no_tags"))); }
    var tt = el("table", "kv tags");
    tags.forEach(function (tag) {
      var why = [];
      (D.tagRules || []).forEach(function (r) { if (r.name === tag) { why.push(r.when); } });
      if (D.prefTag && tag === D.prefTag + C.cats[C.cat[i]]) {
        why.push(tf("why_pref", fourPlaces(C.cs[i]), String(D.prefShare)));
      }
      manual.forEach(function (m) { if (m.tag === tag) { why.push(tf("why_manual", m.line)); } });
      var tr = kv(tt, tag, why.length ? why.join(" · ") : t("why_unknown"), "tag");
      tr.parentNode.setAttribute("data-tag", tag);
    });
    manual.forEach(function (m) {
      if (m.segment) {
        kv(tt, tf("manual_line", m.line), tf("manual_segment", m.segment, m.expires || "–", m.active ? t("in_force") : t("expired")), "manual");
      }
    });
    if (tags.length || manual.length) { box.appendChild(tt); }

    box.appendChild(el("h3", "", t("card_history")));
    var hist = historyOf(i);
    var ht = el("table", "hist");
    var head = el("tr");
    ["h_asof", "h_segment", "h_rules", "h_since", "h_trigger", "h_note"].forEach(function (k) { head.appendChild(el("th", "", t(k))); });
    var thead = el("thead");
    thead.appendChild(head);
    ht.appendChild(thead);
    var tb = el("tbody");
    hist.forEach(function (r) {
      var s = r.st, note = "";
      if (s[2]) { note = t("h_pinned"); }
      else if (s[3] > 0) { note = tf("h_waiting", s[3]); }
      else if (s[4] >= 0 && s[4] !== s[0]) { note = tf("h_from", segCode(s[4])); }
      var tr = el("tr");
      tr.setAttribute("data-date", r.date);
      [r.date, segCode(s[0]), segCode(s[1]), C.dates[s[5]], t("trigger_" + r.trigger), note].forEach(function (v) { tr.appendChild(el("td", "", v)); });
      tb.appendChild(tr);
    });
    ht.appendChild(tb);
    var wrap = el("div", "scroll");
    wrap.appendChild(ht);
    box.appendChild(wrap);
    if (hist.length < 2) { box.appendChild(el("p", "muted", t("history_hint"))); }
    var dlg = $("card");
    if (!dlg.open) { dlg.showModal(); }
  }
  // A cell of the from/to matrix drills down like its Sankey flow.
  document.querySelectorAll(".matrix td[data-to]").forEach(function (td) {
    var go = function () { drill({ pair: { from: td.getAttribute("data-from"), to: td.getAttribute("data-to") } }); };
    td.addEventListener("click", go);
    td.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
  });
  $("card-close").addEventListener("click", function () { $("card").close(); });
  $("card").addEventListener("click", function (e) { if (e.target === $("card")) { $("card").close(); } });

  // ---- start -----------------------------------------------------------

  drawCharts();
  performance.mark("custcat-charts");
  unpack().then(function (c) {
    performance.mark("custcat-unpacked");
    C = c;
    buildControls();
    // The rows come by revenue, highest first, then by key: the table's first order.
    order = new Array(C.n);
    for (var k = 0; k < C.n; k++) { order[k] = k; }
    refresh(true);
    $("customers").classList.remove("loading");
    // data-ready: milliseconds from the start of the page load until the table shows.
    document.body.setAttribute("data-ready", String(Math.round(performance.now())));
    if (pending) { var f = pending; pending = null; drill(f); }
  }).catch(function (e) {
    $("cust-count").textContent = t("unpack_failed") + " " + e;
    console.error("custcat report: the customers could not be unpacked:", e);
  });
})();
