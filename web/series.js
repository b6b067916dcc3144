// A region's series as the cards show it. `/api/v1/summary` speaks of the default series' current data
// only; another region, or a past view, gets the same shape from its own rows (the API's `daily` rows
// already carry the new counts and their 7-day averages), computed as services/api/derive.py does.
const WEEK_MS = 7 * 86400000;

function change(now, before) {
  const pct = now !== null && now !== undefined && before !== null && before !== undefined && before !== 0
    ? Math.round(((now - before) / before) * 1000) / 10 : null;
  return { avg7: now ?? null, avg7_week_before: before ?? null, change_pct: pct };
}

/** The summary of `rows` (the whole series, by date), or null when it is empty. */
export function summarize(rows) {
  if (!rows.length) return null;
  const last = rows[rows.length - 1];
  const weekBefore = new Date(Date.parse(last.date + "T00:00:00Z") - WEEK_MS).toISOString().slice(0, 10);
  const before = rows.find((r) => r.date === weekBefore) || {};
  const reported = rows.filter((r) => r.recovered !== null && r.recovered !== undefined);
  return {
    date: last.date,
    totals: { cases: last.cases, deaths: last.deaths, recovered: last.recovered ?? null },
    recovered_last_reported: reported.length ? reported[reported.length - 1].date : null,
    new: { cases: last.new_cases, deaths: last.new_deaths },
    avg7: { cases: last.new_cases_avg7, deaths: last.new_deaths_avg7 },
    week_change: { cases: change(last.new_cases_avg7, before.new_cases_avg7),
                   deaths: change(last.new_deaths_avg7, before.new_deaths_avg7) },
  };
}

/** The recovered figures' state for the chart's note: the last date reported, and whether the last day has one. */
export function recovery(rows) {
  const summary = summarize(rows);
  return { lastReported: summary?.recovered_last_reported ?? null, stillReported: summary?.totals.recovered !== null };
}

/** The rows with start <= date <= end. */
export const inRange = (rows, start, end) => rows.filter((r) => r.date >= start && r.date <= end);

/** Compare series on one time axis: uPlot wants one x array, so the union of the dates, null where a
 * region has no point. `series`: [{points: [{date, value}]}]. */
export function align(series) {
  const dates = [...new Set(series.flatMap((s) => s.points.map((p) => p.date)))].sort();
  const index = new Map(dates.map((d, i) => [d, i]));
  const columns = series.map((s) => {
    const column = new Array(dates.length).fill(null);
    for (const p of s.points) column[index.get(p.date)] = p.value ?? null;
    return column;
  });
  return { dates, columns };
}
