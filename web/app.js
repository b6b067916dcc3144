// The dashboard: loads the summary, the series for the chosen range and the run history.
import { drawCharts, resizeCharts } from "./charts.js";
import { renderCards, renderPipeline, renderTable } from "./panels.js";

const API = (window.COVID_ETL_API || "").replace(/\/$/, "");
const status = document.getElementById("status");
const form = document.getElementById("range");
let bounds = { first: null, last: null };
let latest = 0; // the newest range request; answers to older ones are dropped

async function get(path) {
  const response = await fetch(API + path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `${path}: HTTP ${response.status}`);
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

async function loadRange() {
  const params = query();
  document.getElementById("csv").href = `${API}/api/v1/daily?${new URLSearchParams([...params, ["format", "csv"]])}`;
  const ticket = ++latest;
  const { data } = await get(`/api/v1/daily?${params}`);
  if (ticket !== latest) return; // a later change is in flight: its answer wins, whatever arrives first
  drawCharts(data);
  renderTable(data);
  say(data.length ? `Showing ${data.length} days, ${data[0].date} to ${data[data.length - 1].date}.`
                  : "No days in the selected range.");
}

function preset(days) {
  form.to.value = bounds.last;
  if (days === 0) form.from.value = bounds.first;
  else {
    const from = new Date(Date.parse(bounds.last + "T00:00:00Z") - (days - 1) * 86400000);
    form.from.value = from.toISOString().slice(0, 10) < bounds.first ? bounds.first : from.toISOString().slice(0, 10);
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

async function start() {
  const [summary, runs] = await Promise.all([
    get("/api/v1/summary").catch((error) => { say(error.message, true); return null; }),
    get("/api/v1/runs?limit=5").catch(() => ({ data: [] })),
  ]);
  renderPipeline(runs.data, summary);
  if (!summary) return;
  renderCards(summary);
  bounds = { first: summary.dataset.first_date, last: summary.dataset.last_date };
  for (const input of [form.from, form.to]) { input.min = bounds.first; input.max = bounds.last; }
  form.from.value = bounds.first;
  form.to.value = bounds.last;
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
