// The dashboard: loads the summary, the series for the chosen range and the run history.
// The range lives in the URL (?from=&to=, each left out when it is the dataset's own bound), so a
// view can be shared and reloaded.
import { drawCharts, resizeCharts } from "./charts.js";
import { renderHistory } from "./history.js";
import { renderCredits } from "./credits.js";
import { renderCards, renderEmpty, renderSources, renderTable, renderTableHead } from "./panels.js";

const API = (window.COVID_ETL_API || "").replace(/\/$/, "");
const status = document.getElementById("status");
const form = document.getElementById("range");
const main = document.getElementById("main");
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
let bounds = { first: null, last: null };
let recovery = { lastReported: null, stillReported: false };
let fields = []; // the table's columns, from the API
let latest = 0; // the newest range request; answers to older ones are dropped

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

function query() {
  const params = new URLSearchParams();
  if (form.from.value) params.set("from", form.from.value);
  if (form.to.value) params.set("to", form.to.value);
  return params;
}

/** The page's own URL for this range: a bound equal to the dataset's is left out (it follows new data). */
function remember() {
  const params = new URLSearchParams(location.search);
  for (const [name, bound] of [["from", bounds.first], ["to", bounds.last]]) {
    if (form[name].value && form[name].value !== bound) params.set(name, form[name].value);
    else params.delete(name);
  }
  const search = params.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
}

async function loadRange() {
  const params = query();
  document.getElementById("csv").href = `${API}/api/v1/daily?${new URLSearchParams([...params, ["format", "csv"]])}`;
  const ticket = ++latest;
  const current = () => ticket === latest; // a later change is in flight: its answer wins, whatever arrives first
  main.dataset.busy = "true";
  const { data } = await get(`/api/v1/daily?${params}`);
  if (!current() || !(await drawCharts(data, recovery, current))) return;
  renderTable(data, fields);
  remember();
  main.dataset.busy = "false"; // charts, table and URL all show this range (tests wait for it)
  say(data.length ? `Showing ${data.length} days, ${data[0].date} to ${data[data.length - 1].date}.`
                  : "No days in the selected range.");
}

function preset(days) {
  form.to.value = bounds.last;
  if (days === 0) form.from.value = bounds.first;
  else {
    const from = new Date(Date.parse(bounds.last + "T00:00:00Z") - (days - 1) * 86400000).toISOString().slice(0, 10);
    form.from.value = from < bounds.first ? bounds.first : from;
  }
  return update();
}

async function update() {
  if (form.from.value && form.to.value && form.from.value > form.to.value) {
    say("The start date is after the end date.", true);
    return;
  }
  try { await loadRange(); } catch (error) { say(`Could not load the series: ${error.message}`, true); }
}

/** A date from the URL, kept within the dataset's bounds; the bound itself when absent or malformed. */
function fromUrl(name, fallback) {
  const value = new URLSearchParams(location.search).get(name);
  if (!value || !ISO_DATE.test(value)) return fallback;
  return value < bounds.first ? bounds.first : value > bounds.last ? bounds.last : value;
}

async function start() {
  get("/api/v1/sources").then((r) => renderCredits(r.data)).catch(() => {});
  const [summary, runs, columns] = await Promise.all([
    get("/api/v1/summary").catch((error) => error),
    get("/api/v1/runs?limit=30").catch(() => ({ data: [], stages: [] })),
    get("/api/v1/fields").then((r) => r.data),
  ]);
  renderHistory(runs.data, runs.stages);
  fields = columns;
  renderTableHead(fields);
  if (summary instanceof Error) {
    renderSources(null);
    if (summary.status === 503) {
      renderEmpty(runs.data);
      say("No data loaded yet.", true);
    } else say(`Could not load the summary: ${summary.message}`, true);
    return;
  }
  renderSources(summary);
  renderCards(summary);
  bounds = { first: summary.dataset.first_date, last: summary.dataset.last_date };
  recovery = { lastReported: summary.recovered_last_reported, stillReported: summary.totals.recovered !== null };
  for (const input of [form.from, form.to]) { input.min = bounds.first; input.max = bounds.last; }
  form.from.value = fromUrl("from", bounds.first);
  form.to.value = fromUrl("to", bounds.last);
  await update();
}

form.addEventListener("change", update);
form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
for (const button of form.querySelectorAll("button[data-days]")) {
  button.addEventListener("click", () => preset(Number(button.dataset.days)));
}
let resizeTimer;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeCharts, 150); });
start().catch((error) => say(`The dashboard could not start: ${error.message}`, true));
