// The footer's credits: each source's title, credit line and licence, as the API declares them
// (/api/v1/sources, from shared/sources.py), before the static credit of the charts' library.
import { el } from "./format.js";

export function renderCredits(sources) {
  const list = document.getElementById("credits");
  const items = sources.map((s) => el("li", { "data-source": s.name },
    el("a", { href: s.homepage }, s.title), ` — ${s.attribution} Licence: ${s.licence}.`));
  list.prepend(...items);
}
