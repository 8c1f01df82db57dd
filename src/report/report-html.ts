/**
 * The report page: one self-contained HTML file. Charts are inline SVG, the
 * style sheet is inline, and a Content-Security-Policy forbids loading
 * anything (scripts included): the page makes no request at all.
 */
import type { SegmentProfile, SegmentProfiles } from '../insights/segment-profiles.js';
import type { NextStep } from '../insights/segment-names.js';
import { SEGMENT_PALETTE } from './chart-specs.js';
import { groupDigits } from '../common/format-number.js';

/** One chart as the page shows it. */
export interface HtmlChart {
  /** Short id, also the PNG's base name (`elbow` → elbow.png). */
  id: string;
  title: string;
  caption: string;
  /** The chart's standalone SVG (from vega). */
  svg: string;
  /** The PNG file written next to index.html. */
  file: string;
}

/** Facts shown in the page header. */
export interface ReportFacts {
  title: string;
  /** Where the customers came from (file name or "generated …"). */
  source: string;
  rows: number;
  features: readonly string[];
  k: number;
  /** How k was chosen, e.g. "elbow of the WCSS sweep k = 1..10". */
  kChoice: string;
  /** Extra facts, shown as "label: value". */
  details: ReadonlyArray<readonly [string, string]>;
  notes: readonly string[];
  /** The files of the report directory. */
  files: readonly string[];
  /** How k was chosen, method by method (the k-selection panel); absent without a sweep. */
  kSelection?: {
    suggestedK: number | null;
    reason: string;
    rule: string;
    /** [method title, its k or null, why]. */
    methods: ReadonlyArray<readonly [string, number | null, string]>;
    /** How the curves were computed (silhouette sample, gap references). */
    settings: readonly string[];
  };
  /** Methods compared at k, when a comparison ran: one row per method and the ARI between every pair (methods × methods). */
  comparison?: {
    methods: ReadonlyArray<{
      method: string;
      label: string;
      clusters: number;
      noiseShare: number;
      sizes: readonly number[];
      silhouette: number | null;
      calinskiHarabasz: number | null;
      daviesBouldin: number | null;
      seconds: number;
    }>;
    ari: ReadonlyArray<readonly number[]>;
    note: string;
  };
  /** The summary's ranked next steps. */
  nextSteps: readonly NextStep[];
  /** What the segment tree is, when one is drawn. */
  treeNote?: string;
}

/** The page's Content-Security-Policy: nothing may load; inline styles and data: images only. */
export const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Prepares a standalone SVG for inlining: drops the XML namespace attributes
 * (HTML does not need them) and prefixes every id and its references, so the
 * clip paths of one chart never resolve to another chart's; adds an
 * accessible `<title>`.
 */
export function inlineSvg(svg: string, prefix: string, title: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]!);
  let out = svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/\s+xmlns(:\w+)?="[^"]*"/g, '');
  if (ids.size > 0) {
    out = out
      .replace(/(\sid=")([^"]+)(")/g, (all, a: string, id: string, b: string) => (ids.has(id) ? `${a}${prefix}-${id}${b}` : all))
      .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${prefix}-${id})` : all))
      .replace(/(\s(?:xlink:)?href="#)([^"]+)(")/g, (all, a: string, id: string, b: string) => (ids.has(id) ? `${a}${prefix}-${id}${b}` : all));
  }
  return out.replace(/^<svg\b([^>]*)>/, (_all, attributes: string) => `<svg role="img" aria-labelledby="${prefix}-title"${attributes}><title id="${prefix}-title">${escapeHtml(title)}</title>`);
}

/** "1,234", "12.5", "0.123": figures for tables. */
export function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (Number.isInteger(v)) return groupDigits(v);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

function formatPercent(share: number): string {
  return Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : '–';
}

function formatLift(lift: number): string {
  return Number.isFinite(lift) ? `×${lift.toFixed(2)}` : '–';
}

/** Direction of a lift, not its merit: blue above the base (×1.2 and up), orange below (×0.8 and down). */
function liftClass(lift: number): string {
  if (!Number.isFinite(lift)) return '';
  return lift >= 1.2 ? ' class="up"' : lift <= 0.8 ? ' class="down"' : '';
}

function liftCell(lift: number, text = formatLift(lift)): string {
  const arrow = Number.isFinite(lift) ? (lift >= 1.2 ? '▲' : lift <= 0.8 ? '▼' : '') : '';
  return `<td${liftClass(lift)}>${arrow}${text}</td>`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #4a5568; --line: #e6e9ee; --up: #1f5fa8; --down: #b35900; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; background: #f6f7f9; color: var(--ink); line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { margin: 36px 0 12px; font-size: 21px; border-bottom: 1px solid #d8dce3; padding-bottom: 4px; }
h3 { margin: 0 0 6px; font-size: 17px; overflow-wrap: anywhere; }
.lead { color: var(--muted); margin: 0 0 14px; }
.summary { background: white; border-radius: 8px; padding: 16px 20px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.summary ul.glance { list-style: none; padding: 0; margin: 0 0 12px; display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 4px 18px; font-size: 14px; }
ol.steps { margin: 8px 0 0; padding-left: 22px; }
ol.steps li { margin: 0 0 10px; }
ol.steps .evidence { display: block; color: var(--muted); font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 14px; }
dl.facts dt { color: #5a6578; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
.card { background: white; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); border-top: 6px solid var(--c); min-width: 0; overflow-wrap: anywhere; }
.card .size { color: var(--muted); font-size: 14px; margin: 0 0 6px; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; background: #eef1f5; color: var(--ink); border: 1px solid #c9cfd8; margin-left: 6px; vertical-align: middle; white-space: nowrap; }
.card p.reading { margin: 6px 0 8px; font-size: 14px; }
.card .table-wrap { overflow-x: auto; }
.card table { width: 100%; font-size: 12px; }
.card th, .card td { padding: 3px 3px; white-space: nowrap; }
.card th, .card td:first-child { white-space: normal; overflow-wrap: break-word; }
.card td.quart { white-space: normal; }
table { border-collapse: collapse; font-size: 13px; background: white; }
th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef1f5; }
td.up { color: var(--up); font-weight: 600; } td.down { color: var(--down); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; background: var(--c); margin-right: 6px; }
figure { background: white; margin: 0 0 18px; padding: 12px; border-radius: 8px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
.scroll { overflow-x: auto; }
ul.methods { font-size: 14px; padding-left: 20px; } ul.methods li { margin-bottom: 4px; }
code { font-size: 13px; background: #eef1f5; padding: 0 4px; border-radius: 3px; }
ul.notes { font-size: 14px; color: var(--muted); }
@media print {
  @page { size: A4; margin: 14mm; }
  body { background: white; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .summary, .card, figure { box-shadow: none; border: 1px solid #c9cfd8; }
  .card { border-top: 6px solid var(--c); }
  .card, figure, ol.steps li, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .scroll, figure { overflow: visible; }
  td.up, td.down, .swatch, .card { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

function colourOf(segment: number): string {
  return SEGMENT_PALETTE[segment % SEGMENT_PALETTE.length]!;
}

function segmentCard(s: SegmentProfile): string {
  const rows = [...s.features, ...s.descriptors]
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.label)}</td><td>${formatFigure(f.mean)}</td><td>${formatFigure(f.median)}</td><td class="quart">${formatFigure(f.q1)}–<wbr>${formatFigure(f.q3)}</td>${liftCell(f.lift)}</tr>`,
    )
    .join('');
  const mixes = s.categories
    .map(
      (m) =>
        `<p class="size">${escapeHtml(m.column)}: ${m.levels
          .filter((l) => l.count > 0)
          .map((l) => `${escapeHtml(l.level)} ${formatPercent(l.share)}`)
          .join(', ')}</p>`,
    )
    .join('');
  return `<article class="card" id="segment-${s.segment}" style="--c:${colourOf(s.segment)}">
<h3>${s.segment} · ${escapeHtml(s.name)}<span class="badge">${escapeHtml(s.action)}</span></h3>
<p class="size">${groupDigits(s.size)} customers · ${formatPercent(s.share)} of the base</p>
<p class="reading">${escapeHtml(s.reading)}</p>
<div class="table-wrap"><table><thead><tr><th>feature</th><th>mean</th><th>median</th><th>quartiles</th><th>lift</th></tr></thead><tbody>${rows}</tbody></table></div>
${mixes}
</article>`;
}

function profileTable(p: SegmentProfiles): string {
  const columns = [...p.features, ...p.descriptors];
  const head = `<tr><th>segment</th><th>customers</th><th>share</th>${columns.map((c) => `<th>${escapeHtml(c.column)}<br>mean (lift)</th>`).join('')}</tr>`;
  const body = p.segments
    .map((s) => {
      const cells = [...s.features, ...s.descriptors].map((f) => liftCell(f.lift, `${formatFigure(f.mean)} (${formatLift(f.lift)})`)).join('');
      return `<tr><td><span class="swatch" style="--c:${colourOf(s.segment)}"></span>${s.segment} · ${escapeHtml(s.name)}</td><td>${groupDigits(s.size)}</td><td>${formatPercent(s.share)}</td>${cells}</tr>`;
    })
    .join('');
  const base = `<tr><td><strong>all customers</strong></td><td>${groupDigits(p.rows)}</td><td>100%</td>${columns.map((c) => `<td>${formatFigure(c.mean)}</td>`).join('')}</tr>`;
  let html = `<div class="scroll"><table><thead>${head}</thead><tbody>${body}${base}</tbody></table></div>`;
  for (const [m, mix] of p.categories.entries()) {
    const levels = mix.levels.map((l) => l.level);
    const mhead = `<tr><th>segment</th>${levels.map((l) => `<th>${escapeHtml(l)}<br>share (lift)</th>`).join('')}</tr>`;
    const mbody = p.segments
      .map((s) => {
        const cells = s.categories[m]!.levels.map((l) => liftCell(l.lift, `${formatPercent(l.share)} (${formatLift(l.lift)})`)).join('');
        return `<tr><td><span class="swatch" style="--c:${colourOf(s.segment)}"></span>${s.segment} · ${escapeHtml(s.name)}</td>${cells}</tr>`;
      })
      .join('');
    const mbase = `<tr><td><strong>all customers</strong></td>${mix.levels.map((l) => `<td>${formatPercent(l.share)}</td>`).join('')}</tr>`;
    html += `<h3 style="margin-top:18px">${escapeHtml(mix.column)} mix</h3><div class="scroll"><table><thead>${mhead}</thead><tbody>${mbody}${mbase}</tbody></table></div>`;
  }
  return html;
}

function summarySection(facts: ReportFacts, profiles: SegmentProfiles): string {
  const glance = profiles.segments
    .filter((s) => s.size > 0)
    .map(
      (s) =>
        `<li><span class="swatch" style="--c:${colourOf(s.segment)}"></span><a href="#segment-${s.segment}">${s.segment} · ${escapeHtml(s.name)}</a> — ${formatPercent(s.share)} (${groupDigits(s.size)})<span class="badge">${escapeHtml(s.action)}</span></li>`,
    )
    .join('');
  const steps = facts.nextSteps
    .map(
      (n) =>
        `<li><strong>${escapeHtml(n.action)}</strong> segment <a href="#segment-${n.segment}">${n.segment} · ${escapeHtml(n.name)}</a> (${formatPercent(n.share)} of customers). ${escapeHtml(n.advice)}<span class="evidence">Evidence: ${escapeHtml(n.evidence.join('; '))}.</span></li>`,
    )
    .join('');
  return `<section class="summary">
<h2 id="summary" style="margin-top:0">Summary</h2>
<p class="lead">${groupDigits(facts.rows)} customers fall into ${facts.k} segments${facts.kSelection ? ` (k = ${facts.k}: <a href="#choosing-k">why</a>)` : ''}. Each is named after the features that set it apart from all customers.</p>
<ul class="glance">${glance}</ul>
<h3>Next steps, ranked</h3>
<ol class="steps">${steps}</ol>
<p class="lead" style="margin:6px 0 0;font-size:13px">Ranked by action (keep revenue first, then the largest upside: ${escapeHtml(ACTION_ORDER_TEXT)}), then by segment size.</p>
</section>`;
}

const ACTION_ORDER_TEXT = 'Keep, Win over, Grow, Activate, Serve with care, Nurture, Value, Tailor, Low priority';

function kSelectionSection(facts: ReportFacts, chart: HtmlChart | undefined): string {
  const ks = facts.kSelection;
  if (!ks) return '';
  const methods = ks.methods.map(([title, k, why]) => `<li><strong>${escapeHtml(title)}</strong>: ${k === null ? 'no k' : `k = ${k}`} — ${escapeHtml(why)}</li>`).join('');
  return `<h2 id="choosing-k">Choosing k</h2>
<p>${escapeHtml(ks.reason)}</p>
${chart ? figureHtml(chart) : ''}
<ul class="methods">${methods}</ul>
<p class="lead" style="font-size:13px">Rule: ${escapeHtml(ks.rule)}. ${escapeHtml(ks.settings.join(' '))}</p>`;
}

function comparisonSection(facts: ReportFacts): string {
  const c = facts.comparison;
  if (!c) return '';
  const num = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
  const rows = c.methods
    .map(
      (m) =>
        `<tr><th>${escapeHtml(m.label)}</th><td>${m.clusters}</td><td>${(100 * m.noiseShare).toFixed(1)}%</td><td>${escapeHtml(m.sizes.map((n) => groupDigits(n)).join(' · '))}</td>` +
        `<td>${num(m.silhouette, 3)}</td><td>${num(m.calinskiHarabasz, 1)}</td><td>${num(m.daviesBouldin, 3)}</td><td>${m.seconds.toFixed(2)}</td></tr>`,
    )
    .join('');
  const head = `<tr><th>method</th><th>segments</th><th>noise</th><th>sizes (largest first)</th><th>silhouette ↑</th><th>Calinski-Harabasz ↑</th><th>Davies-Bouldin ↓</th><th>seconds</th></tr>`;
  const ariHead = `<tr><th>ARI</th>${c.methods.map((m) => `<th>${escapeHtml(m.method)}</th>`).join('')}</tr>`;
  const ariRows = c.ari.map((r, i) => `<tr><th>${escapeHtml(c.methods[i]!.method)}</th>${r.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr>`).join('');
  return `<h2 id="methods">Comparing methods</h2>
<p class="lead">${escapeHtml(c.note)}</p>
<div class="scroll"><table id="method-comparison"><thead>${head}</thead><tbody>${rows}</tbody></table></div>
${c.methods.length > 1 ? `<h3 style="margin-top:18px">Agreement between the methods (adjusted Rand index)</h3><div class="scroll"><table id="method-ari"><thead>${ariHead}</thead><tbody>${ariRows}</tbody></table></div>` : ''}`;
}

function figureHtml(c: HtmlChart): string {
  return `<figure id="chart-${c.id}">
${inlineSvg(c.svg, `chart-${c.id}`, c.title)}
<figcaption>${escapeHtml(c.caption)} <code>${escapeHtml(c.file)}</code></figcaption>
</figure>`;
}

/** Charts drawn in the k-selection panel rather than among the segment charts. */
const K_CHARTS = new Set(['choosing-k', 'elbow']);

/**
 * The whole page: summary and next steps first, then the segments, their
 * charts, how k was chosen, the profiles, and the technical details last.
 * Every value is escaped; the only non-text content is the charts' SVG,
 * produced by vega in Node.
 */
export function renderReportHtml(facts: ReportFacts, profiles: SegmentProfiles, charts: readonly HtmlChart[]): string {
  const details: [string, string][] = [
    ['source', facts.source],
    ['customers', groupDigits(facts.rows)],
    ['features', facts.features.join(', ')],
    ['segments', `${facts.k} (${facts.kChoice})`],
    ...facts.details.map(([a, b]) => [a, b] as [string, string]),
  ];
  const kChart = charts.find((c) => c.id === 'choosing-k') ?? charts.find((c) => c.id === 'elbow');
  const figures = charts.filter((c) => !(facts.kSelection && K_CHARTS.has(c.id) && c === kChart)).map(figureHtml).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="generator" content="segmenta report">
<meta name="color-scheme" content="light">
<link rel="icon" href="data:,">
<title>${escapeHtml(facts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(facts.title)}</h1>
<p class="lead">${escapeHtml(facts.source)} · ${groupDigits(facts.rows)} customers · ${facts.k} segments</p>
${summarySection(facts, profiles)}
<h2 id="segments">Segments</h2>
<p class="lead">Numbered by size. A feature is high or low when the segment's average lies at least half a standard deviation above or below that of all customers. Lift is the segment's mean divided by that of all customers: <span style="color:var(--up);font-weight:600">▲ blue</span> at ×1.2 and above, <span style="color:var(--down);font-weight:600">▼ orange</span> at ×0.8 and below — a direction, not a verdict.</p>
<div class="cards">
${profiles.segments.map(segmentCard).join('\n')}
</div>
<h2 id="charts">Charts</h2>
${figures}
${kSelectionSection(facts, kChart)}
${comparisonSection(facts)}
<h2 id="profiles">Profiles</h2>
<p class="lead">Each feature's mean per segment, and its lift against all customers (▲ blue above, ▼ orange below).</p>
${profileTable(profiles)}
<h2 id="details">Technical details</h2>
<dl class="facts">${details.map(([a, b]) => `<dt>${escapeHtml(a)}</dt><dd>${escapeHtml(b)}</dd>`).join('')}</dl>
${facts.treeNote ? `<p class="lead">${escapeHtml(facts.treeNote)}</p>` : ''}
<p class="lead">This page is self-contained. Next to it: ${facts.files.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}.</p>
${facts.notes.length > 0 ? `<ul class="notes">${facts.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<p class="lead">${escapeHtml(profiles.ordering)}.</p>
</main>
</body>
</html>
`;
}
