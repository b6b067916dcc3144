// Headline cards, the table, the sources and the empty state: plain DOM from API JSON.
import { avg, daysSince, el, num, signed } from "./format.js";

function fill(id, value, line1, line2) {
  const card = document.getElementById(id);
  card.querySelector(".value").textContent = value;
  card.querySelector(".l1").replaceChildren(line1);
  card.querySelector(".l2").replaceChildren(line2 || "\u00a0");
}

function change(c) {
  if (!c || c.change_pct === null) return "Week-on-week change: —";
  const cls = c.change_pct > 0 ? "up" : "down";
  return el("span", {}, "7-day average vs week before: ", el("span", { class: cls }, signed(c.change_pct) + "%"));
}

export function renderCards(summary) {
  if (!summary) { // a region or vintage without a single day
    document.getElementById("latest-date").textContent = "";
    for (const id of ["card-cases", "card-deaths", "card-recovered"]) fill(id, "—", "No data", "");
    return;
  }
  document.getElementById("latest-date").textContent = `(${summary.date})`;
  const t = summary.totals;
  fill("card-cases", num(t.cases), `New: ${num(summary.new.cases)} · 7-day avg: ${avg(summary.avg7.cases)}`,
       change(summary.week_change.cases));
  fill("card-deaths", num(t.deaths), `New: ${num(summary.new.deaths)} · 7-day avg: ${avg(summary.avg7.deaths)}`,
       change(summary.week_change.deaths));
  if (t.recovered === null) {
    fill("card-recovered", "Not reported", summary.recovered_last_reported
      ? `Not reported since ${summary.recovered_last_reported}` : "Not reported", "Johns Hopkins University CSSE");
  } else fill("card-recovered", num(t.recovered), "Cumulative", "Johns Hopkins University CSSE");
}

/** The table's columns are the API's fields (`/api/v1/fields`), in its order: the first heads each row. */
export function renderTableHead(fields) {
  document.querySelector("#table thead tr").replaceChildren(...fields.map((f) => el("th", { scope: "col" }, f.label)));
}

export function renderTable(rows, fields) {
  const body = document.querySelector("#table tbody");
  const [key, ...values] = fields;
  const cell = (f, r) => el("td", {}, (f.type === "number" ? avg : num)(r[f.name]));
  const trs = rows.slice().reverse().map((r) => el("tr", {},
    el("th", { scope: "row" }, r[key.name]), ...values.map((f) => cell(f, r))));
  body.replaceChildren(...trs);
}

function stale(source) {
  const days = daysSince(source.last_date);
  if (days !== null) return `${source.last_date} (${days} day${days === 1 ? "" : "s"} ago)`;
  // a source without dates (the lookup table): when its version was loaded
  return source.loaded_at ? `undated; loaded ${String(source.loaded_at).slice(0, 10)}` : "unknown";
}

export function renderSources(summary) {
  const list = document.getElementById("sources");
  const sources = summary ? summary.sources : [];
  if (!sources.length) list.replaceChildren(el("dt", {}, "None loaded"), el("dd", {}, "—"));
  else list.replaceChildren(...sources.flatMap((s) => [el("dt", {}, s.name.toUpperCase()), el("dd", {}, stale(s))]));
}

/** No data yet: say why (the last run's error when it failed) and, after a failure, how to run on local files. */
export function renderEmpty(runs) {
  const last = runs[0];
  document.getElementById("data").hidden = true;
  document.getElementById("empty").hidden = false;
  const reason = document.getElementById("empty-reason");
  if (!last) reason.textContent = "No run has started yet.";
  else if (last.status === "running") reason.textContent = `The first run (${last.run_id}) is in progress.`;
  else if (["failed", "gave_up", "interrupted"].includes(last.status)) {
    const stage = last.stage || (Object.entries(last.stages || {}).find(([, s]) => s.status === "failed") || [])[0];
    const error = last.error || (stage && last.stages?.[stage]?.error) || "no reason was recorded";
    const how = last.status === "failed" ? "failed" : last.status.replace("_", " ");
    reason.replaceChildren(`The last run (${last.run_id}) ${how}${stage ? ` in ${stage}` : ""}: `,
                           el("strong", { class: "reason" }, error));
  } else reason.textContent = `The last run (${last.run_id}) ended ${last.status}, but no data is loaded.`;
  document.getElementById("empty-recipe").hidden = !last || !["failed", "gave_up", "interrupted"].includes(last.status);
}
