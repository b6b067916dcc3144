// The dashboard: a region's series (as known now, or at an instant) for a date range, the comparison
// of up to 5 regions, a date's revisions, and the pipeline's run history. What is shown lives in the
// URL (web/view.js): a view can be shared and reloaded, and back/forward walk through the views chosen.
import { drawCharts, onPick, resizeCharts } from "./charts.js";
import { combobox } from "./combobox.js";
import { comparePanel } from "./compare.js";
import { renderCredits } from "./credits.js";
import { renderHistory } from "./history.js";
import { renderCards, renderEmpty, renderSources, renderTable, renderTableHead } from "./panels.js";
import { revisionsPanel } from "./revisions.js";
import { inRange, recovery, summarize } from "./series.js";
import { clamp, DEFAULT_REGION, instant, localValue, readView, writeView } from "./view.js";

const API = (window.COVID_ETL_API || "").replace(/\/$/, "");
const status = document.getElementById("status");
const form = document.getElementById("range");
const asOfForm = document.getElementById("as-of-form");
const main = document.getElementById("main");
// The default series, when the API has no catalogue (an API older than the regions)
const FALLBACK = { id: DEFAULT_REGION, name: "United States", country: "US", province: null, level: "country" };
let view = readView(location.search); // what is asked for
let shown = null; // the view last shown in full (its URL is the page's)
let regions = [FALLBACK];
let byId = new Map([[FALLBACK.id, FALLBACK]]);
let series = { key: null, rows: [] }; // the whole series of the region and vintage shown
let bounds = { first: null, last: null };
let summary = null; // /api/v1/summary: the default series' current data
let fields = []; // the table's columns, from the API
let latest = 0; // the newest view asked for; answers to older ones are dropped
let compared = ""; // the comparison drawn (its regions and range)
let warning = ""; // said before the view's own line once it is shown (a region the URL named wrongly)

class HttpError extends Error {
  constructor(message, status, kind) { super(message); this.status = status; this.kind = kind; }
}

async function get(path) {
  const response = await fetch(API + path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new HttpError(problem.detail || `${path}: HTTP ${response.status}`, response.status, problem.type || "");
  }
  return response.json();
}

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

const region = () => byId.get(view.region) || FALLBACK;
const picker = combobox(document.getElementById("region"), document.getElementById("region-options"),
                        () => regions, (chosen) => { view = { ...view, region: chosen.id }; update("push"); });
const compare = comparePanel(get, () => regions, (id) => byId.get(id), (ids) => {
  view = { ...view, compare: ids };
  remember("push");
  showComparison();
});
const revisions = revisionsPanel(get, region);
onPick((date) => revisions.show(date, true));

/** The series' query: the region (left out for the default, so the request is today's) and the vintage. */
function seriesQuery() {
  const params = new URLSearchParams();
  if (view.region !== DEFAULT_REGION) params.set("region", view.region);
  if (view.asOf) params.set("as_of", view.asOf);
  return params;
}

/** The URL says the view; `how`: "push" (a choice: back returns from it), "replace" (a correction), "none". */
function remember(how) {
  const search = writeView(view, bounds);
  if (how !== "none" && search !== location.search) {
    history[how === "push" ? "pushState" : "replaceState"](null, "", search || location.pathname);
  }
  shown = { ...view };
}

function showVintage() {
  const past = document.getElementById("as-of-state");
  past.classList.toggle("past", Boolean(view.asOf));
  document.body.classList.toggle("past-view", Boolean(view.asOf));
  past.textContent = view.asOf
    ? `Past view: the data as the pipeline held it at ${view.asOf.replace("T", " ").replace("Z", "")} UTC. ` +
      "Dates loaded later are absent and revised values are shown as they were."
    : "Current data: each date's latest value.";
  document.getElementById("as-of").value = localValue(view.asOf);
}

async function loadSeries(current) {
  const key = `${view.region}|${view.asOf || ""}`;
  if (series.key === key) return true;
  const { data } = await get(`/api/v1/daily?${seriesQuery()}`);
  if (!current()) return false;
  series = { key, rows: data };
  // A bound of the range that was the old series' own follows the new series (as the URL says it)
  view = { ...view, from: view.from === bounds.first ? null : view.from, to: view.to === bounds.last ? null : view.to };
  bounds = { first: data[0]?.date ?? null, last: data[data.length - 1]?.date ?? null };
  const { id, name } = region();
  renderCards(id === DEFAULT_REGION && !view.asOf && summary ? summary : summarize(data));
  document.getElementById("region-name").textContent = name;
  document.title = `${id === DEFAULT_REGION ? "US" : name} COVID-19 — covid-etl dashboard`;
  picker.show(name);
  revisions.reset(bounds);
  showVintage();
  for (const input of [form.from, form.to]) { input.min = bounds.first || ""; input.max = bounds.last || ""; }
  return true;
}

async function showView(how) {
  const ticket = ++latest;
  const current = () => ticket === latest; // a later choice is in flight: its answer wins, whatever arrives first
  main.dataset.busy = "true";
  if (!(await loadSeries(current))) return;
  view = { ...view, from: clamp(view.from, bounds, bounds.first), to: clamp(view.to, bounds, bounds.last) };
  form.from.value = view.from || "";
  form.to.value = view.to || "";
  const rows = series.rows.length ? inRange(series.rows, view.from, view.to) : [];
  const csv = new URLSearchParams([...seriesQuery(), ...(view.from ? [["from", view.from], ["to", view.to]] : []),
                                   ["format", "csv"]]);
  document.getElementById("csv").href = `${API}/api/v1/daily?${csv}`;
  const who = region().id === DEFAULT_REGION ? "US" : region().name;
  if (!(await drawCharts(rows, { ...recovery(series.rows), who }, current))) return;
  renderTable(rows, fields);
  remember(how);
  showComparison();
  main.dataset.busy = "false"; // charts, table and URL all show this view (tests wait for it)
  const when = view.asOf ? ` as known at ${view.asOf.replace("T", " ").replace("Z", "")} UTC` : "";
  say(warning + (rows.length ? `${region().name}${when}: ${rows.length} days, ${rows[0].date} to ${rows[rows.length - 1].date}.`
                             : `${region().name}${when}: no days in the selected range.`), Boolean(warning));
  warning = "";
}

// The comparison is fetched and drawn once its chart nears the viewport: below the fold on load, it
// would otherwise cost the first paint a request and a chart nobody sees yet (Lighthouse's TBT).
let nearView = false;
new IntersectionObserver((entries, observer) => {
  if (!entries.some((e) => e.isIntersecting)) return;
  nearView = true;
  observer.disconnect();
  showComparison();
}, { rootMargin: "300px" }).observe(document.getElementById("chart-compare"));

function showComparison() {
  if (!nearView) return;
  const key = `${view.compare.join(",")}|${view.from}|${view.to}`;
  if (key === compared) return;
  compared = key;
  compare.show(view.compare, view.from, view.to);
}

async function update(how) {
  if (view.from && view.to && view.from > view.to) {
    say("The start date is after the end date.", true);
    return;
  }
  if (!byId.has(view.region)) {
    warning = `There is no region "${view.region}"; showing the United States. `;
    view = { ...view, region: DEFAULT_REGION };
    how = "replace";
  }
  const unknown = view.compare.filter((id) => !byId.has(id));
  if (unknown.length) { // the comparison asks for known regions only (the API refuses the lot otherwise)
    warning += `No region ${unknown.map((id) => `"${id}"`).join(", ")} to compare. `;
    view = { ...view, compare: view.compare.filter((id) => byId.has(id)) };
    how = "replace";
  }
  try { await showView(how); } catch (error) {
    // A vintage or region the API refuses: say why, and go back to what was shown
    say(view.asOf && !(shown && shown.asOf === view.asOf)
      ? `No past view at ${view.asOf}: ${error.message}` : `Could not load the series: ${error.message}`, true);
    if (shown) {
      view = { ...shown };
      showVintage();
      picker.show(region().name);
      main.dataset.busy = "false"; // what is shown is the last view, whole
    }
  }
}

function preset(days) {
  const from = days === 0 ? bounds.first
    : new Date(Date.parse(bounds.last + "T00:00:00Z") - (days - 1) * 86400000).toISOString().slice(0, 10);
  view = { ...view, from: from < bounds.first ? bounds.first : from, to: bounds.last };
  return update("push");
}

async function start() {
  get("/api/v1/sources").then((r) => renderCredits(r.data)).catch(() => {});
  const listed = get("/api/v1/regions").then((r) => r.data).catch(() => []); // meanwhile, not after
  const [found, runs, columns] = await Promise.all([
    get("/api/v1/summary").catch((error) => error),
    get("/api/v1/runs?limit=30").catch(() => ({ data: [], stages: [] })),
    get("/api/v1/fields").then((r) => r.data),
  ]);
  renderHistory(runs.data, runs.stages);
  fields = columns;
  renderTableHead(fields);
  if (found instanceof Error) {
    renderSources(null);
    if (found.status === 503) {
      renderEmpty(runs.data);
      say("No data loaded yet.", true);
    } else say(`Could not load the summary: ${found.message}`, true);
    return;
  }
  summary = found;
  renderSources(summary);
  const catalogue = await listed;
  if (catalogue.length) {
    regions = catalogue;
    byId = new Map(catalogue.map((r) => [r.id, r]));
  }
  await update("replace");
}

form.addEventListener("change", () => { view = { ...view, from: form.from.value, to: form.to.value }; update("push"); });
form.addEventListener("submit", (event) => { event.preventDefault(); update("push"); });
for (const button of form.querySelectorAll("button[data-days]")) {
  button.addEventListener("click", () => preset(Number(button.dataset.days)));
}
asOfForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const asOf = instant(document.getElementById("as-of").value);
  if (asOf) { view = { ...view, asOf }; update("push"); }
});
document.getElementById("as-of-clear").addEventListener("click", () => { view = { ...view, asOf: null }; update("push"); });
window.addEventListener("popstate", () => { view = readView(location.search); update("none"); });
let resizeTimer;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeCharts, 150); });
start().catch((error) => say(`The dashboard could not start: ${error.message}`, true));
