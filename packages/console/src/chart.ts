/**
 * A small SVG line chart for the live metrics: fixed size viewBox scaled by CSS, so it fits a
 * phone as well as a desktop. No library: a path per series, a y-axis maximum and a legend.
 */
import { h } from './dom.js';

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

const SVG = 'http://www.w3.org/2000/svg';
const W = 420;
const H = 150;
const PAD = { left: 44, right: 8, top: 10, bottom: 18 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Renders `series` (equal lengths, newest last, NaN = gap) over `points` slots. */
export function lineChart(
  title: string,
  unit: string,
  series: readonly Series[],
  points: number,
  format: (v: number) => string,
): HTMLElement {
  let max = 0;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v) && v > max) max = v;
  const top = niceMax(max);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  root.appendChild(svg('title', {})).textContent = title;
  for (const f of [0, 0.5, 1]) {
    const y = PAD.top + plotH * (1 - f);
    root.appendChild(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    const label = root.appendChild(svg('text', { x: PAD.left - 4, y: y + 4, class: 'axis' }));
    label.textContent = format(top * f);
  }
  const step = plotW / Math.max(1, points - 1);
  series.forEach((s, i) => {
    let d = '';
    let pen = false;
    const offset = points - s.values.length;
    s.values.forEach((v, j) => {
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      const x = PAD.left + (offset + j) * step;
      const y = PAD.top + plotH * (1 - Math.min(v, top) / top);
      d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
      pen = true;
    });
    root.appendChild(svg('path', { d, class: `line s${i % 6}` }));
  });
  const legend = h(
    'div',
    { class: 'legend' },
    ...series.map((s, i) => {
      const last = [...s.values].reverse().find((v) => Number.isFinite(v));
      return h(
        'span',
        { class: `key s${i % 6}` },
        `${s.name} ${last === undefined ? '-' : format(last)}`,
      );
    }),
  );
  return h(
    'figure',
    { class: 'card chart-card' },
    h('figcaption', null, `${title} (${unit})`),
    root,
    legend,
  );
}
