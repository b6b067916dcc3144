// The comparison panel: the regions chosen (each removable), a combobox to add one, and their new
// cases per 100,000 people on one chart (`/api/v1/compare?metric=cases_per_100k`). The page owns the
// list (it lives in the URL); this panel shows it and asks for changes through `changed(ids)`.
import { drawCompare } from "./charts.js";
import { combobox } from "./combobox.js";
import { el } from "./format.js";
import { align } from "./series.js";
import { MAX_COMPARE } from "./view.js";

const METRIC = "cases_per_100k";
const figure = document.getElementById("chart-compare");
const list = document.getElementById("compare-list");
const input = document.getElementById("compare-add");
const note = document.getElementById("compare-note");
let latest = 0; // the newest request; older answers are dropped

/** Wire the panel. `get(path)` fetches the API's JSON; `byId` maps ids to the catalogue's regions. */
export function comparePanel(get, regions, byId, changed) {
  let ids = [];
  const picker = combobox(input, document.getElementById("compare-options"),
                          () => regions().filter((r) => !ids.includes(r.id)), (region) => {
    picker.show("");
    changed([...ids, region.id]);
  });

  function renderList() {
    const name = (id) => byId(id)?.name ?? id;
    list.replaceChildren(...ids.map((id, i) => {
      const remove = el("button", { type: "button", "aria-label": `Remove ${name(id)} from the comparison` }, "×");
      remove.addEventListener("click", () => changed(ids.filter((other) => other !== id)));
      return el("li", { "data-id": id }, el("span", { class: `swatch c${i + 1}`, "aria-hidden": "true" }), name(id), remove);
    }));
    const full = ids.length >= MAX_COMPARE;
    input.disabled = full;
    input.placeholder = full ? `${MAX_COMPARE} regions: remove one to add another` : "Name or code";
  }

  async function show(next, start, end) {
    ids = next;
    renderList();
    const ticket = ++latest;
    figure.dataset.state = "busy";
    if (!ids.length) {
      drawCompare([], [], []);
      note.textContent = "Add a region to compare.";
      figure.dataset.state = "ready";
      return;
    }
    const params = new URLSearchParams({ regions: ids.join(","), metric: METRIC });
    if (start) params.set("from", start);
    if (end) params.set("to", end);
    try {
      const answer = await get(`/api/v1/compare?${params}`);
      if (ticket !== latest) return;
      // in the list's order, so each line has its chip's colour
      const data = answer.data.slice().sort((a, b) => ids.indexOf(a.region) - ids.indexOf(b.region));
      const { dates, columns } = align(data);
      drawCompare(data, dates, columns);
      const unknown = data.filter((s) => s.population === null).map((s) => s.name);
      note.textContent = unknown.length ? `No known population, so no line: ${unknown.join(", ")}.` : "\u00a0";
    } catch (error) {
      if (ticket !== latest) return;
      note.textContent = `Could not load the comparison: ${error.message}`;
    }
    figure.dataset.state = "ready";
  }

  return { show };
}
