// Headline cards, the table and the pipeline panel: plain DOM from API JSON.
import { avg, daysSince, el, num, signed } from "./format.js";

function card(title, total, lines) {
  return el("article", { class: "card" }, el("h3", {}, title), el("p", { class: "value" }, total),
            ...lines.map((line) => el("p", {}, line)));
}

function change(c) {
  if (!c || c.change_pct === null) return "Week-on-week change: —";
  const cls = c.change_pct > 0 ? "up" : "down";
  return el("span", {}, "7-day average vs week before: ", el("span", { class: cls }, signed(c.change_pct) + "%"));
}

export function renderCards(summary) {
  document.getElementById("latest-date").textContent = `(${summary.date})`;
  const t = summary.totals;
  const recovered = t.recovered === null
    ? [summary.recovered_last_reported ? `Not reported since ${summary.recovered_last_reported}` : "Not reported"]
    : ["Cumulative, JHU CSSE"];
  document.getElementById("cards").replaceChildren(
    card("Cases", num(t.cases), [`New: ${num(summary.new.cases)} · 7-day avg: ${avg(summary.avg7.cases)}`,
                                change(summary.week_change.cases)]),
    card("Deaths", num(t.deaths), [`New: ${num(summary.new.deaths)} · 7-day avg: ${avg(summary.avg7.deaths)}`,
                                  change(summary.week_change.deaths)]),
    card("Recovered", t.recovered === null ? "Not reported" : num(t.recovered), recovered));
}

export function renderTable(rows) {
  const body = document.querySelector("#table tbody");
  const trs = rows.slice().reverse().map((r) => el("tr", {},
    el("th", { scope: "row" }, r.date), el("td", {}, num(r.cases)), el("td", {}, num(r.new_cases)),
    el("td", {}, avg(r.new_cases_avg7)), el("td", {}, num(r.deaths)), el("td", {}, num(r.new_deaths)),
    el("td", {}, avg(r.new_deaths_avg7)), el("td", {}, num(r.recovered))));
  body.replaceChildren(...trs);
}

function stale(lastDate) {
  const days = daysSince(lastDate);
  return days === null ? "unknown" : `${lastDate} (${days} day${days === 1 ? "" : "s"} ago)`;
}

export function renderPipeline(runs, summary) {
  const panel = document.getElementById("pipeline");
  const run = runs[0];
  const runBox = el("div", {}, el("h3", {}, "Last run"));
  if (!run) runBox.append(el("p", {}, "No runs yet."));
  else {
    const order = ["extract", "transform", "load", "notify"];
    const stages = Object.entries(run.stages || {})
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([name, s]) => `${name} ${s.status}${s.duration_ms !== undefined ? ` (${s.duration_ms} ms)` : ""}`);
    runBox.append(el("dl", {},
      el("dt", {}, "Run"), el("dd", {}, run.run_id),
      el("dt", {}, "Status"), el("dd", {}, el("span", { class: `badge ${run.status}` }, run.status)),
      el("dt", {}, "Started"), el("dd", {}, run.started_at ?? "—"),
      el("dt", {}, "Stages"), el("dd", {}, stages.join(", ") || "—"),
      el("dt", {}, "Rows"), el("dd", {}, `${num(run.inserted)} inserted, ${num(run.updated)} updated, ` +
                                      `${num(run.unchanged)} unchanged, ${num(run.rows_total)} total`),
      el("dt", {}, "Warnings"), el("dd", {}, (run.warnings || []).join("; ") || "none"),
      ...(run.error ? [el("dt", {}, "Error"), el("dd", {}, run.error)] : [])));
  }
  const sourceBox = el("div", {}, el("h3", {}, "Sources (last date reported)"),
    el("dl", {}, ...(summary ? summary.sources : []).flatMap((s) => [
      el("dt", {}, s.name.toUpperCase()), el("dd", {}, stale(s.last_date))])));
  panel.replaceChildren(runBox, sourceBox);
}
