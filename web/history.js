// The pipeline history: one row per run (newest first), failed runs marked, each opening onto its
// stages with timings, its warnings as a list and its error. The stages are shown in the pipeline's
// order, which `/api/v1/runs` gives as `stages` (from shared/topology.py); a stage it does not name
// goes last.
import { el, num } from "./format.js";

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59950) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

const utc = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") : "—");

/** A run's duration: start to finish when it has finished, else the sum of its stages. */
export function runDuration(run) {
  if (run.started_at && run.finished_at) return Date.parse(run.finished_at) - Date.parse(run.started_at);
  const stages = Object.values(run.stages || {}).map((s) => s.duration_ms).filter((d) => d !== undefined);
  return stages.length ? stages.reduce((a, b) => a + b, 0) : null;
}

const rank = (order, stage) => (order.includes(stage) ? order.indexOf(stage) : order.length);

function stages(run, order) {
  const entries = Object.entries(run.stages || {}).sort(([a], [b]) => rank(order, a) - rank(order, b));
  if (!entries.length) return el("p", {}, "No stage has started.");
  return el("table", { class: "stages" },
    el("caption", { class: "visually-hidden" }, `Stages of run ${run.run_id}`),
    el("thead", {}, el("tr", {}, ...["Stage", "Status", "Started (UTC)", "Duration", "Error"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...entries.map(([name, s]) => el("tr", {},
      el("th", { scope: "row" }, name), el("td", {}, el("span", { class: `badge ${s.status}` }, s.status)),
      el("td", {}, utc(s.started_at)), el("td", {}, duration(s.duration_ms)),
      el("td", {}, s.error ? el("span", { class: "error-text" }, s.error) : "—")))));
}

const FAILED = ["failed", "gave_up", "interrupted"];

function details(run, id, order) {
  const warnings = run.warnings || [];
  const range = run.first_date ? `, ${run.first_date} to ${run.last_date}` : "";
  // failed on bad input, given up on after the last delivery (its message in a DLQ), or interrupted
  const outcome = FAILED.includes(run.status)
    ? `${run.status.replace("_", " ")}${run.stage ? ` in ${run.stage}` : ""}; ` +
      (run.stage === "load" ? "it may have written some rows before it stopped (the next run completes them)"
        : "it loaded nothing") +
      (run.rows_total ? `, and the table kept its ${num(run.rows_total)} rows${range}.` : ".")
    : `${num(run.inserted)} inserted, ${num(run.updated)} updated, ${num(run.unchanged)} unchanged, ` +
      `${num(run.rows_total)} rows in total${range}.`;
  return el("tr", { class: "details", id, hidden: "" }, el("td", { colspan: "7" }, el("p", {}, `Run ${run.run_id}: ${outcome}`),
    el("h3", {}, "Stages"), stages(run, order),
    el("h3", {}, `Warnings (${warnings.length})`),
    warnings.length ? el("ul", {}, ...warnings.map((w) => el("li", {}, w))) : el("p", {}, "None."),
    ...(run.error ? [el("h3", {}, "Error"), el("p", { class: "error-text" }, run.error)] : [])));
}

function row(run, index, order) {
  const id = `run-details-${index}`;
  const toggle = el("button", { type: "button", "aria-expanded": "false", "aria-controls": id },
    utc(run.started_at), el("span", { class: "visually-hidden" }, `, ${run.status}: show details`));
  const detail = details(run, id, order);
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    detail.hidden = !open;
  });
  const summary = el("tr", { class: `run ${run.status}`, "data-run-id": run.run_id, "data-status": run.status },
    el("th", { scope: "row" }, toggle), el("td", { "data-label": "Trigger" }, run.trigger ?? "—"),
    el("td", { "data-label": "Status" }, el("span", { class: `badge ${run.status}` }, run.status)),
    el("td", { "data-label": "Duration" }, duration(runDuration(run))),
    el("td", { "data-label": "Inserted" }, num(run.inserted)), el("td", { "data-label": "Updated" }, num(run.updated)),
    el("td", { "data-label": "Warnings" }, String((run.warnings || []).length)));
  return el("tbody", {}, summary, detail);
}

/** The runs as rows; `order`: the pipeline's stages in order (`/api/v1/runs`' `stages`). */
export function renderHistory(runs, order = []) {
  const table = document.getElementById("history");
  for (const body of table.querySelectorAll("tbody")) body.remove();
  if (!runs.length) {
    table.append(el("tbody", {}, el("tr", {}, el("td", { colspan: "7" }, "No runs yet."))));
    return;
  }
  table.append(...runs.map((run, index) => row(run, index, order)));
}
