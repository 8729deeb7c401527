/* Charts from JSON specs the page carries (json_script), drawn with the Chart.js the app
   serves. A spec: {type: bar|hbar|line|doughnut, labels, series: [{label, data, kind}],
   links: [url per label], format: money|number|pct, currency}. A click on a bar or point
   opens the records behind it. Colours come from the design tokens, so the dark theme
   redraws them. */
(function () {
  "use strict";
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const palette = () => ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"].map(css);
  const charts = [];
  const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };

  function formatter(spec) {
    const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
    return (value) => {
      if (spec.format === "money") {
        const sym = SYMBOLS[spec.currency || "USD"];
        return sym ? sym + compact.format(value) : `${compact.format(value)} ${spec.currency}`;
      }
      if (spec.format === "pct") return `${value}%`;
      return compact.format(value);
    };
  }

  // A long category label on two or three lines rather than over its neighbour's.
  function wrap(label) {
    if (typeof label !== "string" || label.length <= 9) return label;
    const lines = [];
    let line = "";
    for (const word of label.split(/(?<=[ -])/)) {
      if (line && (line + word).trim().length > 9) { lines.push(line.trim()); line = ""; }
      line += word;
    }
    if (line.trim()) lines.push(line.trim());
    return lines;
  }

  function build(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    const spec = JSON.parse(source.textContent);
    const colors = palette();
    const text = css("--text-3");
    const grid = css("--border");
    const format = formatter(spec);
    const horizontal = spec.type === "hbar";
    const type = horizontal ? "bar" : spec.type || "bar";
    const datasets = spec.series.map((s, i) => {
      const color = s.kind === "target" ? css("--text-3") : colors[i % colors.length];
      const set = {
        label: s.label,
        data: s.data,
        backgroundColor: type === "doughnut" ? colors : color,
        borderColor: color,
        borderWidth: type === "line" || s.kind === "line" || s.kind === "target" ? 2 : 0,
        borderRadius: type === "bar" ? 4 : 0,
        maxBarThickness: 42,
        tension: 0.3,
        pointRadius: 2,
      };
      if (s.kind === "target" && horizontal) {
        set.backgroundColor = css("--surface-3");
        set.borderWidth = 0;
        return set;
      }
      if (s.kind === "line" || s.kind === "target") {
        set.type = "line";
        set.fill = false;
        set.order = -1;
        if (s.kind === "target") set.borderDash = [6, 4];
      }
      return set;
    });
    const scales = type === "doughnut" ? {} : {
      x: { stacked: !!spec.stacked, grid: { color: horizontal ? grid : "transparent" }, ticks: { color: text, callback: horizontal ? (v) => format(v) : undefined, autoSkip: (spec.labels || []).length > 8, maxRotation: 0 } },
      y: { stacked: !!spec.stacked, grid: { color: horizontal ? "transparent" : grid }, ticks: { color: text, callback: horizontal ? undefined : (v) => format(v) }, beginAtZero: true },
    };
    if (!horizontal && scales.x) scales.x.ticks.callback = function (value) { return wrap(this.getLabelForValue(value)); };
    if (horizontal && scales.y) scales.y.ticks.callback = function (value) { return this.getLabelForValue(value); };
    const chart = new Chart(canvas, {
      type,
      data: { labels: spec.labels, datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales,
        plugins: {
          legend: { display: spec.series.length > 1 || type === "doughnut", position: "bottom", labels: { color: text, boxWidth: 10, boxHeight: 10 } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.parsed[horizontal ? "x" : "y"] ?? ctx.parsed)}` } },
        },
        onHover: (event, active) => { event.native.target.style.cursor = active.length && spec.links ? "pointer" : "default"; },
        onClick: (event, active) => {
          if (!active.length || !spec.links) return;
          const url = spec.links[active[0].index];
          if (url) window.location.href = url;
        },
      },
    });
    canvas.dataset.drawn = "1";
    charts.push([canvas, chart]);
  }

  function start() { document.querySelectorAll("canvas[data-chart]").forEach(build); }
  document.addEventListener("tandem:theme", () => {
    charts.splice(0).forEach(([canvas, chart]) => { chart.destroy(); build(canvas); });
  });
  // charts that arrive later (a dashboard card fetched as the page loads)
  document.addEventListener("htmx:afterSettle", () => {
    document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(build);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
