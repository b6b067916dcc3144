// A list-autocomplete combobox after the WAI-ARIA Authoring Practices' pattern: the text field keeps
// the focus, the options are a listbox it controls, and aria-activedescendant names the active one,
// so a screen reader follows the arrow keys. Not a native <datalist>: its popup is browser chrome that
// pages cannot style or test, and it matches only from the start of a label (docs/decisions.md).
import { el } from "./format.js";

const SHOWN = 50; // more than this is a list nobody scrolls; typing narrows it

/** The regions matching `text` (by code or name), best first: the code itself, then codes and names
 * that start with it, then names containing it. `regions`: [{id, name, country, province, level}]. */
export function search(regions, text) {
  const q = text.trim().toLowerCase();
  if (!q) return regions.slice(0, SHOWN);
  const rank = (r) => {
    const id = r.id.toLowerCase();
    const name = r.name.toLowerCase();
    if (id === q || name === q) return 0;
    if (id.startsWith(q) || name.startsWith(q)) return 1;
    if (name.split(/[\s(,-]+/).some((w) => w.startsWith(q))) return 2;
    if (name.includes(q) || (r.country || "").toLowerCase().includes(q)) return 3;
    return 4;
  };
  return regions.map((r) => [rank(r), r]).filter(([k]) => k < 4)
    .sort((a, b) => a[0] - b[0]).slice(0, SHOWN).map(([, r]) => r);
}

/** What an option says: the name, its code, and what it is when that is not plain from the name. */
export function describe(region) {
  const what = region.level === "province" ? `, ${region.country}` : "";
  return `${region.name}${what} (${region.id})`;
}

/** Wire `input` (role=combobox) to `list` (role=listbox). `regions()` gives the choices; `choose(region)`
 * is called on Enter or a click. Returns {show(text)} to set the field's text from outside. */
export function combobox(input, list, regions, choose) {
  let matches = [];
  let active = -1;

  function open(flag) {
    list.hidden = !flag;
    input.setAttribute("aria-expanded", String(flag));
    if (!flag) { active = -1; input.removeAttribute("aria-activedescendant"); }
  }

  function highlight(index) {
    const options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = index;
    if (active < 0) { input.removeAttribute("aria-activedescendant"); return; }
    options[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function fill() {
    matches = search(regions(), input.value);
    list.replaceChildren(...matches.map((r, i) =>
      el("li", { id: `${list.id}-${i}`, role: "option", "aria-selected": "false", "data-id": r.id }, describe(r))));
    if (!matches.length) list.replaceChildren(el("li", { class: "none", role: "option", "aria-disabled": "true",
                                                         "aria-selected": "false", id: `${list.id}-none` }, "No match"));
    open(true);
    highlight(matches.length ? 0 : -1);
  }

  function pick(index) {
    const region = matches[index];
    open(false);
    if (!region) return;
    input.value = region.name;
    input.select(); // the next keystroke starts a new search
    choose(region);
  }

  input.addEventListener("input", fill);
  input.addEventListener("focus", () => input.select());
  input.addEventListener("blur", () => open(false));
  input.addEventListener("keydown", (event) => {
    const opened = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!opened) { fill(); return; }
      if (!matches.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + matches.length) % matches.length);
    } else if (event.key === "Enter") {
      if (opened && active >= 0) { event.preventDefault(); pick(active); }
    } else if (event.key === "Escape") {
      if (opened) { event.preventDefault(); open(false); } else input.value = "";
    }
  });
  // mousedown, not click: a click would blur the field (closing the list) before it lands
  list.addEventListener("mousedown", (event) => {
    const option = event.target.closest("[role=option]");
    event.preventDefault();
    if (option && option.dataset.id) pick([...list.children].indexOf(option));
  });
  return { show(text) { input.value = text; open(false); } };
}
