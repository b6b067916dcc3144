// The revisions of one date of the region shown: each value the table has held, oldest first, with
// when and by which run it was loaded and the sources' versions (`/api/v1/revisions`). Reached by a
// click on a chart's point or, from the keyboard, by the date field and its button.
import { el, num } from "./format.js";

const section = document.getElementById("revisions");
const form = document.getElementById("revisions-form");
const state = document.getElementById("revisions-state");
const body = document.querySelector("#revisions-table tbody");
let latest = 0;

const utc = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") : "—");
const short = (sha) => (sha ? sha.slice(0, 12) : "—");

function versions(sources) {
  const entries = Object.entries(sources || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return "—";
  return el("span", {}, ...entries.flatMap(([name, sha], i) => [
    i ? ", " : "", `${name} `, el("code", { title: sha }, short(sha))]));
}

function row(value) {
  return el("tr", { class: value.current ? "current" : "" },
    el("th", { scope: "row" }, utc(value.loaded_at), value.current ? el("span", { class: "tag" }, " current") : ""),
    el("td", {}, value.run_id ?? "—"), el("td", {}, num(value.cases)), el("td", {}, num(value.deaths)),
    el("td", {}, num(value.recovered)), el("td", {}, versions(value.sources)));
}

function clear(text) {
  body.replaceChildren();
  state.textContent = text;
}

/** Wire the form; `get(path)` fetches the API's JSON, `region()` is the region shown ({id, name}). */
export function revisionsPanel(get, region) {
  async function show(date, scroll = false) {
    form.elements["rev-date"].value = date;
    const { id, name } = region();
    const ticket = ++latest;
    section.dataset.state = "busy";
    if (scroll) section.scrollIntoView({ block: "start" });
    try {
      const answer = await get(`/api/v1/revisions?${new URLSearchParams({ region: id, date })}`);
      if (ticket !== latest) return;
      const values = answer.data;
      body.replaceChildren(...values.map(row));
      state.textContent = !values.length ? `${name} has no value for ${date}.`
        : values.length === 1 ? `${name}, ${date}: one value, never revised.`
          : `${name}, ${date}: ${values.length} values, revised ${values.length - 1} time${values.length > 2 ? "s" : ""}.`;
    } catch (error) {
      if (ticket !== latest) return;
      clear(`Could not load the revisions of ${date}: ${error.message}`);
    }
    section.dataset.date = date;
    section.dataset.state = "ready";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.elements["rev-date"].value) show(form.elements["rev-date"].value);
  });

  return {
    show,
    /** A new region or vintage: the old answer no longer applies; the field keeps its bounds. */
    reset(bounds) {
      latest++;
      const field = form.elements["rev-date"];
      field.min = bounds.first || "";
      field.max = bounds.last || "";
      delete section.dataset.date;
      section.dataset.state = "ready";
      clear("Choose a date, or click a point on a chart.");
    },
  };
}
