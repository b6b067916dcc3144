// Formatting helpers shared by the panels.
const nf = new Intl.NumberFormat("en-US");
const nf1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export const num = (v) => (v === null || v === undefined ? "—" : nf.format(v));
export const avg = (v) => (v === null || v === undefined ? "—" : nf1.format(v));
export const signed = (v) => (v === null || v === undefined ? "—" : (v > 0 ? "+" : "") + nf1.format(v));

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

/** Whole days between an ISO date and today (UTC). */
export function daysSince(iso) {
  if (!iso) return null;
  const then = Date.parse(iso.slice(0, 10) + "T00:00:00Z");
  return Math.floor((Date.now() - then) / 86400000);
}
