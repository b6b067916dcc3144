// What the page shows, as its URL says it: the region, the date range, the "as of" instant and the
// regions compared. `?region=FR&from=2020-10-01&to=2020-12-31&as_of=2021-01-01T00:00:00Z&compare=US,FR`;
// each is left out when it is the default (the US, the region's own bounds, the current data, the US
// alone), so the plain URL follows new data. Pure: no DOM, so it reads the same on load and on back.
export const DEFAULT_REGION = "US";
export const DEFAULT_COMPARE = [DEFAULT_REGION];
export const MAX_COMPARE = 5;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const CODE = /^[A-Za-z0-9-]{1,80}$/;

/** The view a query string asks for; malformed parts are dropped (the page then shows the default). */
export function readView(search) {
  const params = new URLSearchParams(search);
  const region = params.get("region");
  const date = (name) => (ISO_DATE.test(params.get(name) || "") ? params.get(name) : null);
  const asOf = params.get("as_of");
  const compare = (params.get("compare") || "").split(",").filter((id) => CODE.test(id));
  return {
    region: region && CODE.test(region) ? region : DEFAULT_REGION,
    from: date("from"),
    to: date("to"),
    asOf: asOf && ISO_INSTANT.test(asOf) ? asOf : null,
    // `compare=` alone: every region removed (absent: the default)
    compare: compare.length || params.get("compare") === "" ? [...new Set(compare)].slice(0, MAX_COMPARE)
      : [...DEFAULT_COMPARE],
  };
}

/** The query string of `view`; `bounds` {first, last} are the region's dates (a bound equal to them is left out). */
export function writeView(view, bounds) {
  const params = new URLSearchParams();
  if (view.region !== DEFAULT_REGION) params.set("region", view.region);
  if (view.from && view.from !== bounds.first) params.set("from", view.from);
  if (view.to && view.to !== bounds.last) params.set("to", view.to);
  if (view.asOf) params.set("as_of", view.asOf);
  if (view.compare.join(",") !== DEFAULT_COMPARE.join(",")) params.set("compare", view.compare.join(","));
  // "," and ":" are safe in a query string: left readable (URLSearchParams would escape them)
  const search = params.toString().replaceAll("%2C", ",").replaceAll("%3A", ":");
  return search ? `?${search}` : "";
}

/** A date kept within the bounds; the bound itself when absent. */
export function clamp(value, bounds, fallback) {
  if (!value) return fallback;
  return value < bounds.first ? bounds.first : value > bounds.last ? bounds.last : value;
}

/** The instant a `datetime-local` field's value names, read as UTC: `2021-01-01T12:00` -> `2021-01-01T12:00:00Z`. */
export function instant(local) {
  if (!local) return null;
  const withSeconds = local.length === 16 ? `${local}:00` : local;
  return `${withSeconds}Z`;
}

/** The `datetime-local` value of an instant (UTC), seconds kept. */
export function localValue(iso) {
  if (!iso) return "";
  const time = Date.parse(iso.length === 10 ? `${iso}T23:59:59Z` : iso);
  return Number.isNaN(time) ? "" : new Date(time).toISOString().slice(0, 19);
}
