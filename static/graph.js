// Drawing a supply graph left to right as SVG: layered layout (longest path), crossing
// reduction by barycentres, quantities on edges, marks in red and amber, keyboard-focusable
// nodes. No library; works for the few hundred nodes an upstream trace has.
import { t } from './app.js';

const NS = 'http://www.w3.org/2000/svg';
export const NODE_W = 212;
export const NODE_H = 66;
const NODE_W_V = 176;
const ROW_GAP_V = 64;
const COL_GAP = 96;
const ROW_GAP = 16;
const PAD = 24;
const GROUP_PAD = 10;
const FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';

export const KIND_COLOR = {
  party: '#12335a',
  lot: '#8a5a1c',
  batch: '#0b5cad',
  unit: '#4b5563',
  units: '#4b5563',
  listing: '#6b3fa0',
  goods_shipment: '#0e7490',
  platform: '#6b3fa0',
  count: '#0b5cad',
};

export function s(tag, attrs, ...children) {
  const e = document.createElementNS(NS, tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Rough text width in px at a font size: CJK full width, Latin ~0.58 em. */
export function textWidth(str, size) {
  let w = 0;
  for (const ch of str) {
    const c = ch.codePointAt(0);
    w += c > 0x2e80 ? size : c === 32 ? size * 0.3 : /[A-Z0-9]/.test(ch) ? size * 0.64 : size * 0.55;
  }
  return w;
}

/** Cuts a text with an ellipsis to fit `max` px. */
export function fit(str, size, max) {
  if (textWidth(str, size) <= max) return str;
  let out = '';
  for (const ch of str) {
    if (textWidth(`${out + ch}…`, size) > max) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * Lays out and draws. `nodes`: [{id, kind, top, title, sub, mark, root, group?, aria}]
 * (`group`: listings of one platform share a band labelled with the platform name);
 * `edges`: [{from, to, label}]. Returns {svg, width, height, focus(id)}.
 */
export function drawGraph(nodes, edges, { onSelect, title, layerOf, vertical = false } = {}) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ins = new Map(nodes.map((n) => [n.id, []]));
  const outs = new Map(nodes.map((n) => [n.id, []]));
  const es = edges.filter((e) => byId.has(e.from) && byId.has(e.to) && e.from !== e.to);
  for (const e of es) {
    outs.get(e.from).push(e.to);
    ins.get(e.to).push(e.from);
  }
  // Longest-path layers in topological order (the graph is a DAG by construction).
  const layer = new Map();
  const indeg = new Map(nodes.map((n) => [n.id, ins.get(n.id).length]));
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) layer.set(id, 0);
  for (let i = 0; i < queue.length; i += 1) {
    const id = queue[i];
    for (const o of outs.get(id)) {
      layer.set(o, Math.max(layer.get(o) || 0, layer.get(id) + 1));
      indeg.set(o, indeg.get(o) - 1);
      if (indeg.get(o) === 0) queue.push(o);
    }
  }
  for (const n of nodes) if (!layer.has(n.id)) layer.set(n.id, 0);
  // Sources sit right before the first thing they feed (a maker that cut panels stands
  // beside the raw lots, not with the mills).
  for (const n of nodes) {
    if (ins.get(n.id).length === 0 && outs.get(n.id).length) {
      layer.set(n.id, Math.max(0, Math.min(...outs.get(n.id).map((o) => layer.get(o))) - 1));
    }
  }
  if (layerOf) for (const n of nodes) layer.set(n.id, layerOf(n, layer.get(n.id), layer));
  // Compress empty columns.
  const used = [...new Set(nodes.map((n) => layer.get(n.id)))].sort((a, b) => a - b);
  const colOf = new Map(used.map((l, i) => [l, i]));
  const cols = used.map(() => []);
  for (const n of nodes) cols[colOf.get(layer.get(n.id))].push(n);
  // Initial order: group, then kind, then label; then barycentre sweeps.
  for (const c of cols) c.sort((a, b) => (a.group || '').localeCompare(b.group || '') || a.kind.localeCompare(b.kind) || a.title.localeCompare(b.title));
  const pos = new Map();
  const index = () => cols.forEach((c) => c.forEach((n, i) => pos.set(n.id, i)));
  index();
  const bary = (n, nbrs) => {
    const ps = nbrs.map((m) => pos.get(m)).filter((p) => p !== undefined);
    return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(n.id);
  };
  for (let sweep = 0; sweep < 6; sweep += 1) {
    const down = sweep % 2 === 0;
    const order = down ? cols.slice(1) : cols.slice(0, -1).reverse();
    for (const c of order) {
      const key = new Map(c.map((n) => [n.id, bary(n, down ? ins.get(n.id) : outs.get(n.id))]));
      c.sort((a, b) => (a.group || '').localeCompare(b.group || '') || key.get(a.id) - key.get(b.id));
      c.forEach((n, i) => pos.set(n.id, i));
    }
  }
  // Coordinates. Horizontal: columns left to right, each centred vertically. Vertical (for
  // phones): rows top to bottom, each centred horizontally. Groups get a labelled band.
  const NW = vertical ? NODE_W_V : NODE_W;
  const xy = new Map();
  const bands = [];
  let width;
  let height;
  if (!vertical) {
    const colH = cols.map((c) => {
      let h = 0;
      let g = null;
      for (const n of c) {
        if (n.group && n.group !== g) h += 26 + (g ? GROUP_PAD : 0);
        g = n.group || null;
        h += NODE_H + ROW_GAP;
      }
      return h - ROW_GAP;
    });
    height = Math.max(...colH, NODE_H) + PAD * 2 + 20;
    width = cols.length * NW + (cols.length - 1) * COL_GAP + PAD * 2;
    cols.forEach((c, ci) => {
      const x = PAD + ci * (NW + COL_GAP);
      let y = PAD + 10 + (height - PAD * 2 - 20 - colH[ci]) / 2;
      let g = null;
      let band = null;
      for (const n of c) {
        if (n.group !== g) {
          if (band) bands.push(band);
          band = null;
          if (n.group) {
            if (g) y += GROUP_PAD;
            band = { label: n.group, x: x - 8, y, w: NW + 16, h: 26 };
            y += 26;
          }
          g = n.group || null;
        }
        xy.set(n.id, { x, y });
        if (band) band.h = y + NODE_H + 8 - band.y;
        y += NODE_H + ROW_GAP;
      }
      if (band) bands.push(band);
    });
  } else {
    const rowW = cols.map((c) => {
      let w = 0;
      let g = null;
      for (const n of c) {
        if (n.group !== g && g) w += GROUP_PAD;
        g = n.group || null;
        w += NW + ROW_GAP;
      }
      return w - ROW_GAP;
    });
    const banded = cols.map((c) => c.some((n) => n.group));
    width = Math.max(...rowW, NW) + PAD * 2 + 16;
    let y = PAD;
    cols.forEach((c, ci) => {
      if (banded[ci]) y += 26;
      let x = PAD + 8 + (width - PAD * 2 - 16 - rowW[ci]) / 2;
      let g = null;
      let band = null;
      for (const n of c) {
        if (n.group !== g) {
          if (band) bands.push(band);
          band = null;
          if (g) x += GROUP_PAD;
          if (n.group) band = { label: n.group, x: x - 8, y: y - 26, w: NW + 16, h: NODE_H + 34 };
          g = n.group || null;
        }
        xy.set(n.id, { x, y });
        if (band) band.w = x + NW + 8 - band.x;
        x += NW + ROW_GAP;
      }
      if (band) bands.push(band);
      y += NODE_H + ROW_GAP_V;
    });
    height = y - ROW_GAP_V + PAD;
  }

  const svg = s('svg', {
    xmlns: NS,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'group',
    'aria-label': title || t('trace.title'),
    'font-family': FONT,
  });
  svg.appendChild(s('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  svg.appendChild(
    s(
      'defs',
      null,
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#7b8794' })),
    ),
  );
  for (const b of bands) {
    svg.appendChild(
      s('g', { class: 'band' },
        s('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8, fill: '#f3effa', stroke: '#d9cdef' }),
        s('text', { x: b.x + 8, y: b.y + 17, 'font-size': 13, 'font-weight': 700, fill: '#4a2a7a' }, fit(b.label, 13, b.w - 16))),
    );
  }
  // Edges first, under the nodes.
  const edgeLayer = s('g', { class: 'edges' });
  svg.appendChild(edgeLayer);
  for (const e of es) {
    const a = xy.get(e.from);
    const b = xy.get(e.to);
    const x1 = vertical ? a.x + NW / 2 : a.x + NW;
    const y1 = vertical ? a.y + NODE_H : a.y + NODE_H / 2;
    const x2 = vertical ? b.x + NW / 2 : b.x - 2;
    const y2 = vertical ? b.y - 2 : b.y + NODE_H / 2;
    const dx = Math.max(40, (x2 - x1) / 2);
    const dy = Math.max(24, (y2 - y1) / 2);
    const d = vertical
      ? `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`
      : `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
    const path = s('path', {
      d,
      fill: 'none',
      stroke: e.color || '#7b8794',
      'stroke-width': e.width || 1.6,
      'stroke-dasharray': e.dashed ? '5 4' : null,
      'marker-end': 'url(#arrow)',
    });
    edgeLayer.appendChild(path);
    if (e.label) {
      // The label sits on the curve at 55 % of the way, with a white halo.
      const tx = x1 + (x2 - x1) * 0.5 + (vertical ? 6 : 0);
      const ty = y1 + (y2 - y1) * 0.5 + (vertical ? 4 : -4);
      edgeLayer.appendChild(
        s('text', {
          x: tx,
          y: ty,
          'text-anchor': vertical ? 'start' : 'middle',
          'font-size': 12,
          fill: '#1d2430',
          stroke: '#ffffff',
          'stroke-width': 4,
          'paint-order': 'stroke',
          'stroke-linejoin': 'round',
          class: 'edge-label',
        }, e.label),
      );
    }
  }
  const nodeEls = new Map();
  for (const n of nodes) {
    const { x, y } = xy.get(n.id);
    const mark = n.mark;
    const bad = mark === 'failed' || mark === 'noncompliant';
    const warn = mark === 'suspect';
    const fill = bad ? '#fdecea' : warn ? '#fff4d6' : '#ffffff';
    const stroke = bad ? '#b42318' : warn ? '#d98b00' : n.root ? '#0b5cad' : '#8a94a3';
    const g = s('g', {
      class: `node kind-${n.kind}${mark ? ` mark-${mark}` : ''}`,
      transform: `translate(${x},${y})`,
      tabindex: 0,
      role: 'button',
      'aria-label': n.aria || `${n.top} ${n.title} ${n.sub || ''}`,
      'data-id': n.id,
      'data-kind': n.kind,
      'data-mark': mark || null,
    });
    g.appendChild(s('title', null, [n.top, n.title, n.sub].filter(Boolean).join('\n')));
    g.appendChild(s('rect', { class: 'box', x: 0, y: 0, width: NW, height: NODE_H, rx: 7, fill, stroke, 'stroke-width': bad || warn || n.root ? 2.5 : 1.2 }));
    g.appendChild(s('rect', { x: 0, y: 0, width: 6, height: NODE_H, rx: 3, fill: bad ? '#b42318' : warn ? '#d98b00' : KIND_COLOR[n.kind] || '#5a6472' }));
    const topText = mark ? `${n.top} · ${t(`mark.${mark}`)}` : n.top;
    g.appendChild(s('text', { x: 14, y: 18, 'font-size': 11.5, fill: bad ? '#b42318' : warn ? '#8a5300' : '#5a6472', 'font-weight': mark ? 700 : 400 }, fit(topText, 11.5, NW - 22)));
    g.appendChild(s('text', { x: 14, y: 38, 'font-size': 14, 'font-weight': 700, fill: '#1d2430' }, fit(n.title, 14, NW - 22)));
    if (n.sub) g.appendChild(s('text', { x: 14, y: 57, 'font-size': 12, fill: '#3d4756' }, fit(n.sub, 12, NW - 22)));
    const pick = () => onSelect && onSelect(n, g);
    g.addEventListener('click', pick);
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        pick();
      }
    });
    svg.appendChild(g);
    nodeEls.set(n.id, g);
  }
  return {
    svg,
    width,
    height,
    nodeEls,
    select(id) {
      nodeEls.forEach((g) => g.classList.remove('active'));
      const g = nodeEls.get(id);
      if (g) g.classList.add('active');
    },
  };
}

/** A standalone copy of a drawn graph for export (no focus classes, XML namespace set). */
export function exportSvgText(svg) {
  const c = svg.cloneNode(true);
  c.querySelectorAll('.active').forEach((e) => e.classList.remove('active'));
  c.querySelectorAll('[tabindex]').forEach((e) => {
    e.removeAttribute('tabindex');
    e.removeAttribute('role');
  });
  c.setAttribute('xmlns', NS);
  c.setAttribute('width', svg.viewBox.baseVal.width);
  c.setAttribute('height', svg.viewBox.baseVal.height);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(c)}`;
}

/** Renders SVG text to a PNG blob (2× for sharp text). */
export function svgToPng(svgText, width, height, scale = 2) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(width * scale);
      canvas.height = Math.ceil(height * scale);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png');
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('SVG could not be rendered'));
    };
    img.src = url;
  });
}
