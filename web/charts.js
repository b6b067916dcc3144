// The four uPlot charts. Each draws into its figure's .plot box, whose size the CSS fixes before any
// data arrives (no layout shift). Each <figure> gets data-points/data-first/data-last so tests and
// screen-reader labels can tell what is drawn. Colours come from the CSS, so dark mode follows.
const charts = {};
let drawn = null; // the last rows and summary, to redraw when the colour scheme changes
let drawnCompare = null; // the last comparison, likewise
let picked = () => {}; // called with a date when a point is clicked (the revisions view)

const toX = (rows) => rows.map((r) => Date.parse(r.date + "T00:00:00Z") / 1000);
const compact = new Intl.NumberFormat("en-US", { notation: "compact" });
const iso = (t) => new Date(t * 1000).toISOString().slice(0, 10);

function palette() {
  const style = getComputedStyle(document.documentElement);
  const names = ["muted", "grid", "cases", "cases-day", "deaths", "deaths-day", "recovered",
                 "c1", "c2", "c3", "c4", "c5"];
  return Object.fromEntries(names.map((n) => [n, style.getPropertyValue(`--${n}`).trim()]));
}

function axis(c, scale, side, grid = true) {
  const style = { scale, side, stroke: c.muted, grid: { show: grid, stroke: c.grid, width: 1 },
                  ticks: { stroke: c.grid, width: 1 } };
  if (scale === "x") return style; // uPlot's own date labels
  return { ...style, size: 56, values: (u, ticks) => ticks.map((t) => compact.format(t)) };
}

function daily(c, day, average) {
  return { series: [{}, { stroke: c[day], fill: c[day] + "66", width: 1 }, { stroke: c[average], width: 2 }],
           axes: [axis(c, "x", 2), axis(c, "y", 3)] };
}

const cumulative = (c) => ({
  series: [{}, { stroke: c.cases, width: 2, scale: "cases" }, { stroke: c.deaths, width: 2, scale: "deaths" }],
  axes: [axis(c, "x", 2), axis(c, "cases", 3), axis(c, "deaths", 1, false)],
});

const recovered = (c) => ({ series: [{}, { stroke: c.recovered, width: 2 }], axes: [axis(c, "x", 2), axis(c, "y", 3)] });

function draw(id, options, data, summary) {
  const figure = document.getElementById(id);
  const plot = figure.querySelector(".plot");
  const opts = { width: plot.clientWidth, height: plot.clientHeight, legend: { show: false },
                 cursor: { show: false }, scales: { x: { time: true } }, ...options };
  if (charts[id]) charts[id].destroy();
  const chart = charts[id] = new uPlot(opts, data, plot);
  // A click on the plot names the nearest date drawn (the keyboard's way is the revisions form)
  if (id !== "chart-compare") {
    chart.over.classList.add("pickable");
    chart.over.addEventListener("click", (event) => {
      const index = chart.posToIdx(event.offsetX);
      if (index !== null && index >= 0 && index < chart.data[0].length) picked(iso(chart.data[0][index]));
    });
  }
  const x = data[0];
  figure.dataset.points = String(x.length);
  figure.dataset.first = x.length ? iso(x[0]) : "";
  figure.dataset.last = x.length ? iso(x[x.length - 1]) : "";
  const canvas = plot.querySelector("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${figure.querySelector("figcaption").textContent}, ` +
    (x.length ? `${figure.dataset.first} to ${figure.dataset.last}. ${summary}` : "nothing to draw in this range.") +
    " The table below lists every value.");
}

function recoveredNote(rows, { lastReported, stillReported, who = "US" }) {
  const shown = rows.length ? `Shown: ${rows[0].date} to ${rows[rows.length - 1].date}. ` : "No recovered figures in the selected range. ";
  if (!lastReported) return shown + `JHU has not reported ${who} recoveries in this dataset.`;
  if (stillReported) return shown + `JHU reports ${who} recoveries; the latest is from ${lastReported}.`;
  return shown + `JHU stopped reporting ${who} recoveries after ${lastReported}: the series ends there.`;
}

// One chart per task, so the page stays responsive while they draw (no long task).
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Draw the series `rows`; `recovery` is {lastReported, stillReported, who} (who: the region's short name). Stops early,
 * returning false, when `current()` says a newer range has been asked for. */
export async function drawCharts(rows, recovery, current = () => true) {
  drawn = { rows, recovery };
  const c = palette();
  const x = toX(rows);
  const last = rows[rows.length - 1] || {};
  if (!current()) return false;
  draw("chart-cases", daily(c, "cases-day", "cases"),
       [x, rows.map((r) => r.new_cases), rows.map((r) => r.new_cases_avg7)],
       `Latest 7-day average ${last.new_cases_avg7 ?? "unknown"}.`);
  await nextTask();
  if (!current()) return false;
  draw("chart-deaths", daily(c, "deaths-day", "deaths"),
       [x, rows.map((r) => r.new_deaths), rows.map((r) => r.new_deaths_avg7)],
       `Latest 7-day average ${last.new_deaths_avg7 ?? "unknown"}.`);
  await nextTask();
  if (!current()) return false;
  draw("chart-total", cumulative(c), [x, rows.map((r) => r.cases), rows.map((r) => r.deaths)],
       `Latest totals ${last.cases ?? "unknown"} cases and ${last.deaths ?? "unknown"} deaths.`);
  await nextTask();
  if (!current()) return false;
  const reported = rows.filter((r) => r.recovered !== null && r.recovered !== undefined);
  const lastRecovered = reported[reported.length - 1] || {};
  draw("chart-recovered", recovered(c), [toX(reported), reported.map((r) => r.recovered)],
       `Latest ${lastRecovered.recovered ?? "unknown"} recovered.`);
  document.getElementById("recovered-note").textContent = recoveredNote(reported, recovery);
  await nextTask();
  return current();
}

/** `callback(date)` is called when a point of a chart is clicked. */
export function onPick(callback) { picked = callback; }

/** The comparison: one line per region, `series` as `/api/v1/compare` gives them ({region, name, points}). */
export function drawCompare(series, dates, columns) {
  drawnCompare = [series, dates, columns];
  const c = palette();
  const x = dates.map((d) => Date.parse(d + "T00:00:00Z") / 1000);
  const lines = series.map((s, i) => ({ label: s.name, stroke: c[`c${i + 1}`], width: 2 }));
  draw("chart-compare", { series: [{}, ...lines], axes: [axis(c, "x", 2), axis(c, "y", 3)] }, [x, ...columns],
       `Regions: ${series.map((s) => s.name).join(", ")}.`);
  const figure = document.getElementById("chart-compare");
  figure.dataset.regions = series.map((s) => s.region).join(",");
  figure.querySelector("canvas").setAttribute("aria-label", `New cases per 100,000 people, 7-day average, of ` +
    `${series.map((s) => s.name).join(", ")}` + (dates.length ? `, ${dates[0]} to ${dates[dates.length - 1]}.` : ": nothing to draw."));
}

export function resizeCharts() {
  for (const [id, chart] of Object.entries(charts)) {
    const plot = document.getElementById(id).querySelector(".plot");
    chart.setSize({ width: plot.clientWidth, height: plot.clientHeight });
  }
}

// Follow the colour scheme when it changes while the page is open.
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  if (drawn) drawCharts(drawn.rows, drawn.recovery);
  if (drawnCompare) drawCompare(...drawnCompare);
});
