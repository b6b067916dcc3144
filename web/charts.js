// The three uPlot charts. Each <figure> gets data-points/data-first/data-last so tests and
// screen-reader labels can tell what is drawn.
const COLORS = { cases: "#0b5cad", casesAvg: "#062f5a", deaths: "#a4262c", deathsAvg: "#5c0f13" };
const charts = {};

const toX = (rows) => rows.map((r) => Date.parse(r.date + "T00:00:00Z") / 1000);
const compact = new Intl.NumberFormat("en-US", { notation: "compact" });
const axis = (scale, side) => ({ scale, side, size: 56, values: (u, ticks) => ticks.map((t) => compact.format(t)) });

function dailyOptions(label, color, avgColor) {
  return {
    series: [{}, { label: `New ${label}`, stroke: color + "80", fill: color + "22", width: 1 },
             { label: "7-day average", stroke: avgColor, width: 2 }],
    axes: [{}, axis("y", 3)],
  };
}

function totalOptions() {
  return {
    series: [{}, { label: "Cases", stroke: COLORS.cases, width: 2, scale: "cases" },
             { label: "Deaths", stroke: COLORS.deaths, width: 2, scale: "deaths" }],
    axes: [{}, axis("cases", 3), { ...axis("deaths", 1), grid: { show: false } }],
  };
}

function draw(id, options, data, summary) {
  const figure = document.getElementById(id);
  const width = Math.max(280, figure.clientWidth);
  const opts = { width, height: width < 500 ? 220 : 280, scales: { x: { time: true } }, ...options };
  if (charts[id]) charts[id].destroy();
  charts[id] = new uPlot(opts, data, figure);
  const x = data[0];
  figure.dataset.points = String(x.length);
  figure.dataset.first = x.length ? new Date(x[0] * 1000).toISOString().slice(0, 10) : "";
  figure.dataset.last = x.length ? new Date(x[x.length - 1] * 1000).toISOString().slice(0, 10) : "";
  const canvas = figure.querySelector("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${figure.querySelector("figcaption").textContent}, ` +
    `${figure.dataset.first} to ${figure.dataset.last}. ${summary} The table below lists every value.`);
}

export function drawCharts(rows) {
  const x = toX(rows);
  const last = rows[rows.length - 1] || {};
  draw("chart-cases", dailyOptions("cases", COLORS.cases, COLORS.casesAvg),
       [x, rows.map((r) => r.new_cases), rows.map((r) => r.new_cases_avg7)],
       `Latest 7-day average ${last.new_cases_avg7 ?? "unknown"}.`);
  draw("chart-deaths", dailyOptions("deaths", COLORS.deaths, COLORS.deathsAvg),
       [x, rows.map((r) => r.new_deaths), rows.map((r) => r.new_deaths_avg7)],
       `Latest 7-day average ${last.new_deaths_avg7 ?? "unknown"}.`);
  draw("chart-total", totalOptions(), [x, rows.map((r) => r.cases), rows.map((r) => r.deaths)],
       `Latest totals ${last.cases ?? "unknown"} cases and ${last.deaths ?? "unknown"} deaths.`);
}

export function resizeCharts() {
  for (const [id, chart] of Object.entries(charts)) {
    const width = Math.max(280, document.getElementById(id).clientWidth);
    chart.setSize({ width, height: width < 500 ? 220 : 280 });
  }
}
