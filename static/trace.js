// Trace (`/trace/{id}`): upstream drawn as a graph (supplier → raw lots → intermediate lots
// → batch → units → listings by platform), downstream summarised per platform with paged
// items. Click a node for its details. Export the view as SVG/PNG and the data as CSV.
import {
  t, tv, el, $, replace, api, chrome, loading, errorBox, fmtTime, fmtQty, fmtNum, statusBadge,
  markBadge, download, csvBlob, cursorPager, progressBar, busy, partyInfo, idKind,
  safeUrl,
} from './app.js';
import { drawGraph, exportSvgText, svgToPng } from './graph.js';

const main = $('main');
const rootId = decodeURIComponent(location.pathname.replace(/^\/trace\//, '').split('/')[0] || '');
let dir = new URLSearchParams(location.search).get('dir') === 'down' ? 'down' : 'up';
const DOWN_KINDS = ['party', 'lot', 'batch'];
const UNIT_GROUP_MAX = 6;
const EXTRA_LISTINGS = 60;

const state = { data: null, graph: null, scale: 1, selected: null, extra: null };
// On a phone the graph is drawn top to bottom.
const narrow = window.matchMedia('(max-width: 640px)');
narrow.addEventListener('change', () => load());

function setDir(d) {
  dir = d;
  const u = new URL(location.href);
  if (d === 'down') u.searchParams.set('dir', 'down');
  else u.searchParams.delete('dir');
  history.replaceState(null, '', u);
  load();
}

// ---- node texts --------------------------------------------------------------------------

function nodeTexts(n, data) {
  switch (n.kind) {
    case 'party':
      return { top: tv('role', n.role) || t('kind.party'), title: n.label, sub: n.city };
    case 'lot': {
      const inter = data && data.edges.some((e) => e.to === n.id && e.kind === 'input');
      return {
        top: `${t(inter ? 'kind.lot_inter' : 'kind.lot')}`,
        title: n.lot_code || n.label,
        sub: [tv('material', n.material), n.formaldehyde_class && n.formaldehyde_class !== 'none' ? n.formaldehyde_class : '', fmtQty(n.quantity)].filter(Boolean).join(' · '),
      };
    }
    case 'batch':
      return { top: t('kind.batch'), title: n.batch_code || n.label, sub: [n.product, n.quantity ? `${fmtNum(n.quantity)} ${tv('unit', 'piece')}` : ''].filter(Boolean).join(' · ') };
    case 'unit':
      return { top: t('kind.unit'), title: n.serial || n.label, sub: n.batch || '' };
    case 'units':
      return { top: t('kind.unit'), title: t('trace.units_collapsed', { n: n.count }), sub: `${n.first} … ${n.last}` };
    case 'listing':
      return { top: `${t('kind.listing')} · ${tv('listing', n.status)}`, title: n.shop || n.label, sub: n.label && n.shop ? n.label : n.item_id };
    case 'goods_shipment':
      return { top: t('kind.goods_shipment'), title: n.pieces !== undefined ? `${fmtNum(n.pieces)} ${tv('unit', 'piece')}` : n.label, sub: n.shipped_at ? fmtTime(n.shipped_at, false) : '' };
    default:
      return { top: n.kind, title: n.label || n.id, sub: '' };
  }
}

// ---- upstream ----------------------------------------------------------------------------

async function platformNames(ids) {
  const names = new Map();
  await Promise.all(
    [...new Set(ids)].map(async (id) => {
      const p = await partyInfo(id);
      names.set(id, p ? p.name : id);
    }),
  );
  return names;
}

/** The listings that sell a batch in the trace (so a unit's trace ends at the shops too). */
async function listingsOf(batches, known) {
  const out = [];
  for (const b of batches.slice(0, 5)) {
    try {
      const r = await api(`/trace/downstream/${encodeURIComponent(b)}`, { query: { items: 'listings', limit: EXTRA_LISTINGS } });
      if (r.listings.total > EXTRA_LISTINGS) {
        // Too many to draw one by one: one node per platform with its counts.
        for (const p of r.listings.by_platform) {
          out.push({ id: `plat:${b}:${p.platform}`, platform: p.platform, summary: p, via: b, title: p.name, status: '' });
        }
        continue;
      }
      for (const l of r.page.items) if (!known.has(l.id)) out.push({ ...l, via: b });
    } catch {
      /* not allowed to look downstream: the trace stays upstream only */
    }
  }
  return out;
}

function buildGraphModel(data, extra, names) {
  const nodes = [];
  const edges = [];
  const unitsOf = new Map();
  for (const e of data.edges) if (e.kind === 'unit') (unitsOf.get(e.from) || unitsOf.set(e.from, []).get(e.from)).push(e.to);
  const grouped = new Map();
  for (const [b, us] of unitsOf) {
    const rest = us.filter((u) => u !== data.root);
    if (rest.length > UNIT_GROUP_MAX) grouped.set(b, rest);
  }
  const hidden = new Set([...grouped.values()].flat());
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  for (const n of data.nodes) {
    if (hidden.has(n.id)) continue;
    const tx = nodeTexts(n, data);
    nodes.push({
      ...tx,
      id: n.id,
      kind: n.kind,
      mark: n.mark,
      root: n.id === data.root,
      group: n.kind === 'listing' ? names.get(n.platform) || n.platform : undefined,
      raw: n,
    });
  }
  for (const [b, us] of grouped) {
    const first = byId.get(us[0]);
    const last = byId.get(us[us.length - 1]);
    const gid = `units:${b}`;
    const raw = { id: gid, kind: 'units', count: us.length, members: us, first: first && first.serial, last: last && last.serial, batch: b };
    nodes.push({ ...nodeTexts(raw), id: gid, kind: 'units', raw });
    edges.push({ from: b, to: gid, label: `${fmtNum(us.length)} ${tv('unit', 'piece')}` });
  }
  for (const e of data.edges) {
    if (hidden.has(e.to)) continue;
    edges.push({ from: e.from, to: e.to, label: e.quantity ? fmtQty(e.quantity) : '', dashed: e.kind === 'listed' });
  }
  for (const l of extra) {
    if (l.summary) {
      const p = l.summary;
      const raw = { id: l.via, kind: 'batch-listings', platform: p };
      nodes.push({ id: l.id, kind: 'listing', top: t('kind.listing'), title: p.name, sub: `${t('common.of_total', { n: fmtNum(p.listings) })} · ${t('trace.active', { n: fmtNum(p.active) })}`, raw });
      edges.push({ from: l.via, to: l.id, dashed: true, label: fmtNum(p.listings) });
      continue;
    }
    const raw = { ...l, kind: 'listing', label: l.title };
    nodes.push({ ...nodeTexts(raw), id: l.id, kind: 'listing', raw, group: names.get(l.platform) || l.platform });
    edges.push({ from: l.via, to: l.id, dashed: true });
  }
  return { nodes, edges };
}

function applyScale() {
  const g = state.graph;
  if (!g) return;
  g.svg.setAttribute('width', Math.round(g.width * state.scale));
  g.svg.setAttribute('height', Math.round(g.height * state.scale));
}

function graphToolbar(svgName) {
  return el(
    'div',
    { class: 'row no-print', style: 'margin:.5rem 0' },
    el('button', { type: 'button', class: 'secondary small', 'aria-label': t('trace.zoom_out'), title: t('trace.zoom_out'), onclick: () => { state.scale = Math.max(0.3, state.scale / 1.25); applyScale(); } }, '−'),
    el('button', { type: 'button', class: 'secondary small', 'aria-label': t('trace.zoom_in'), title: t('trace.zoom_in'), onclick: () => { state.scale = Math.min(3, state.scale * 1.25); applyScale(); } }, '+'),
    el('button', { type: 'button', class: 'secondary small', id: 'export-svg', onclick: () => exportSvg(svgName) }, t('trace.export_svg')),
    el('button', { type: 'button', class: 'secondary small', id: 'export-png', onclick: (ev) => exportPng(ev.currentTarget, svgName) }, t('trace.export_png')),
    el('button', { type: 'button', class: 'secondary small', id: 'export-csv', onclick: (ev) => exportCsv(ev.currentTarget) }, t('trace.export_csv')),
  );
}

function legend() {
  return el(
    'div',
    { class: 'legend', 'aria-hidden': 'true' },
    el('span', { class: 'l-failed' }, t('trace.legend.failed')),
    el('span', { class: 'l-suspect' }, t('trace.legend.suspect')),
    el('span', { class: 'l-root' }, t('trace.legend.root')),
  );
}

function exportSvg(name) {
  if (!state.graph) return;
  download(new Blob([exportSvgText(state.graph.svg)], { type: 'image/svg+xml' }), `${name}.svg`);
}

async function exportPng(button, name) {
  if (!state.graph) return;
  await busy(button, async () => {
    const g = state.graph;
    const blob = await svgToPng(exportSvgText(g.svg), g.width, g.height);
    download(blob, `${name}.png`);
  });
}

async function exportCsv(button) {
  if (dir === 'up') {
    const d = state.data;
    if (!d) return;
    const incoming = new Map();
    for (const e of d.edges) {
      (incoming.get(e.to) || incoming.set(e.to, []).get(e.to)).push(`${e.from}${e.quantity ? ` (${e.quantity.value} ${e.quantity.unit})` : ''}`);
    }
    const rows = [['id', 'kind', 'label', 'code', 'material', 'formaldehyde_class', 'quantity', 'unit', 'city', 'status', 'produced_at_cn', 'mark', 'inspection_verdict', 'report_no', 'failed_items', 'inputs']];
    for (const n of d.nodes) {
      rows.push([
        n.id, n.kind, n.label, n.lot_code || n.batch_code || n.serial || n.item_id || n.uscc || '',
        n.material || '', n.formaldehyde_class || '', n.quantity && n.quantity.value !== undefined ? n.quantity.value : n.quantity || '',
        n.quantity && n.quantity.unit ? n.quantity.unit : '', n.city || '', n.status || '', fmtTime(n.produced_at), n.mark || '',
        n.inspection ? n.inspection.verdict : '', n.inspection ? n.inspection.report_no : '', n.inspection ? n.inspection.failed.join('; ') : '',
        (incoming.get(n.id) || []).join('; '),
      ]);
    }
    for (const l of (state.extra || []).filter((x) => !x.summary)) {
      rows.push([l.id, 'listing', l.title, l.item_id, '', '', '', '', '', l.status, '', '', '', '', '', l.via]);
    }
    download(csvBlob(rows), `trace-upstream-${rootId}.csv`);
    return;
  }
  // Downstream: every item of the chosen kind, page by page, with progress and cancel.
  const kind = state.itemsKind || 'listings';
  const total = kind === 'listings' ? (state.platform ? platformTotal(state.platform) : state.data.listings.total) : kind === 'batches' ? state.data.batch_count : state.data.lot_count;
  let cancelled = false;
  const bar = progressBar(() => {
    cancelled = true;
  });
  button.after(bar.el);
  await busy(button, async () => {
    const rows = [];
    let cursor = null;
    let done = 0;
    try {
      do {
        const r = await api(`/trace/downstream/${encodeURIComponent(rootId)}`, { query: { items: kind, limit: 1000, cursor, platform: state.platform } });
        for (const it of r.page.items) rows.push(it);
        done += r.page.items.length;
        bar.set(done, Math.max(total, done), t('trace.exporting', { done: fmtNum(done), total: fmtNum(Math.max(total, done)) }));
        cursor = r.page.next_cursor || null;
      } while (cursor && !cancelled);
    } catch (e) {
      bar.remove();
      button.after(errorBox(e));
      return;
    }
    bar.remove();
    if (cancelled) return;
    const names = await platformNames(rows.filter((r) => r.platform).map((r) => r.platform));
    let out;
    if (kind === 'listings') {
      out = [['id', 'platform', 'platform_name', 'shop', 'seller', 'item_id', 'url', 'title', 'status', 'batches']];
      for (const r of rows) out.push([r.id, r.platform, names.get(r.platform), r.shop, r.seller, r.item_id, r.url, r.title, r.status, (r.batches || []).join('; ')]);
    } else if (kind === 'batches') {
      out = [['id', 'batch_code', 'manufacturer', 'product', 'model', 'quantity', 'unit_count', 'produced_at_cn']];
      for (const r of rows) out.push([r.id, r.batch_code, r.manufacturer, r.product, r.model, r.quantity, r.unit_count, fmtTime(r.produced_at)]);
    } else {
      out = [['id', 'lot_code', 'producer', 'material', 'formaldehyde_class', 'quantity', 'unit']];
      for (const r of rows) out.push([r.id, r.lot_code, r.producer, r.material, r.formaldehyde_class, r.quantity && r.quantity.value, r.quantity && r.quantity.unit]);
    }
    download(csvBlob(out), `trace-downstream-${rootId}-${kind}.csv`);
  });
}

function platformTotal(p) {
  const g = state.data.listings.by_platform.find((x) => x.platform === p);
  return g ? g.listings : 0;
}

// ---- details panel -------------------------------------------------------------------------

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p && p[1] !== undefined && p[1] !== null && p[1] !== '').map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

function inspectionBlock(ins) {
  if (!ins) return null;
  return el(
    'div',
    { class: 'stack' },
    el('h3', null, t('trace.inspection')),
    kv([
      [t('f.verdict'), statusBadge('verdict', ins.verdict)],
      [t('f.report_no'), ins.report_no],
      [t('f.sampled_at'), fmtTime(ins.sampled_at)],
    ]),
    ins.failed && ins.failed.length ? el('div', null, el('strong', null, t('f.failed_items')), el('ul', null, ins.failed.map((f) => el('li', null, f)))) : null,
  );
}

async function showDetails(n) {
  const panel = $('#details');
  if (!panel) return;
  state.selected = n.id;
  if (state.graph) state.graph.select(n.id);
  const raw = n.raw || n;
  const body = el('div', { class: 'stack' });
  replace(panel, el('h2', { id: 'details-title', tabindex: '-1' }, n.title), el('p', { class: 'muted small' }, n.top, ' ', el('code', null, raw.id)), markBadge(raw.mark), body);
  const fields = [];
  if (raw.kind === 'party') {
    fields.push([t('f.role'), tv('role', raw.role)], [t('common.city'), raw.city], [t('f.uscc'), el('code', null, raw.uscc || '')]);
  } else if (raw.kind === 'lot') {
    fields.push([t('f.lot_code'), raw.lot_code], [t('f.material'), tv('material', raw.material)], [t('f.class'), tv('class', raw.formaldehyde_class)], [t('f.quantity'), fmtQty(raw.quantity)], [t('f.produced_at'), fmtTime(raw.produced_at)]);
  } else if (raw.kind === 'batch') {
    fields.push([t('f.batch_code'), raw.batch_code], [t('f.product'), raw.product], [t('f.model'), raw.model], [t('f.pieces'), fmtNum(raw.quantity)], [t('f.produced_at'), fmtTime(raw.produced_at)]);
  } else if (raw.kind === 'unit') {
    fields.push([t('f.serial'), raw.serial], [t('kind.batch'), raw.batch]);
  } else if (raw.kind === 'listing') {
    fields.push([t('f.shop'), raw.shop], [t('f.item_id'), raw.item_id], [t('common.status'), statusBadge('listing', raw.status)], [t('f.url'), safeUrl(raw.url) ? el('a', { href: safeUrl(raw.url), rel: 'noopener noreferrer', target: '_blank' }, raw.url) : '']);
  } else if (raw.kind === 'batch-listings') {
    const p = raw.platform;
    body.appendChild(kv([[t('trace.listings'), fmtNum(p.listings)], [t('listing.active'), fmtNum(p.active)]]));
    body.appendChild(el('ul', { class: 'small' }, p.sellers.map((sl) => el('li', null, `${sl.name}: ${fmtNum(sl.listings)}`))));
    body.appendChild(el('a', { class: 'button secondary small', href: `/trace/${encodeURIComponent(raw.id)}?dir=down` }, t('trace.retrace_down')));
    return;
  } else if (raw.kind === 'units') {
    body.appendChild(el('p', null, t('kind.units', { n: fmtNum(raw.count) })));
    body.appendChild(el('ul', { class: 'small' }, raw.members.slice(0, 100).map((u) => el('li', null, el('a', { href: `/trace/${u}` }, u)))));
  }
  body.appendChild(kv(fields));
  if (raw.inspection) body.appendChild(inspectionBlock(raw.inspection));
  if (raw.kind !== 'units') {
    const links = el('div', { class: 'row' });
    if (raw.id !== rootId || dir !== 'up') links.appendChild(el('a', { class: 'button secondary small', href: `/trace/${encodeURIComponent(raw.id)}` }, t('trace.retrace_up')));
    if (DOWN_KINDS.includes(raw.kind)) links.appendChild(el('a', { class: 'button secondary small', href: `/trace/${encodeURIComponent(raw.id)}?dir=down` }, t('trace.retrace_down')));
    body.appendChild(links);
  }
  // More from the API: the record with its times, the full inspection, compliance history.
  const more = el('div', { class: 'stack' }, loading());
  body.appendChild(more);
  const path = { lot: 'lots', batch: 'batches', unit: 'units', listing: 'listings', party: 'parties' }[raw.kind];
  const parts = [];
  try {
    if (path) {
      const rec = await api(`/${path}/${encodeURIComponent(raw.id)}`);
      const f = [[t('f.created_at'), fmtTime(rec.created_at)]];
      if (rec.inputs && rec.inputs.length) f.push([t('f.inputs'), el('ul', null, rec.inputs.map((i) => el('li', null, el('a', { href: `/trace/${i.lot}` }, i.lot), ' ', fmtQty(i.quantity))))]);
      if (rec.unit_count) f.push([t('trace.units'), fmtNum(rec.unit_count)]);
      if (rec.title) f.push([t('f.title'), rec.title]);
      if (rec.platform) {
        const p = await partyInfo(rec.platform);
        f.push([t('f.platform'), p ? p.name : rec.platform]);
      }
      if (rec.qr && rec.qr.url) f.push(['QR', el('a', { href: new URL(rec.qr.url, location.href).pathname }, rec.qr.url)]);
      parts.push(el('h3', null, t('trace.history')), kv(f));
    }
    if (raw.inspection && raw.inspection.id) {
      const ins = await api(`/inspections/${encodeURIComponent(raw.inspection.id)}`).catch(() => null);
      if (ins && ins.results) {
        parts.push(
          el('div', { class: 'table-wrap' }, el('table', { class: 'small' },
            el('thead', null, el('tr', null, el('th', null, t('reg.stats_item')), el('th', { class: 'num' }, t('f.quantity')), el('th', null, t('f.verdict')))),
            el('tbody', null, ins.results.map((r) => el('tr', null, el('td', null, r.item), el('td', { class: 'num' }, `${r.value} ${r.unit || ''}${r.limit !== undefined ? ` ≤ ${r.limit}` : ''}`), el('td', null, statusBadge('verdict', r.verdict)))))))
        );
      }
    }
    if (raw.kind === 'party' && raw.role === 'supplier') {
      const c = await api(`/parties/${encodeURIComponent(raw.id)}/compliance`).catch(() => null);
      if (c) {
        parts.push(kv([[t('common.status'), statusBadge('compliance', c.status)], [t('reg.evidence'), c.evidence.join(', ')]]));
        if (c.history.length) parts.push(el('ul', { class: 'small' }, c.history.map((h) => el('li', null, fmtTime(h.created_at), ' ', statusBadge('compliance', h.status), ' ', h.reason))));
      }
    }
    // The events that created and changed this record (the tamper-evident log).
    if (path) {
      const ev = await api(`/events?subject=${encodeURIComponent(raw.id)}`).catch(() => null);
      if (ev && ev.events.length) {
        parts.push(
          el('h3', null, t('trace.events')),
          el('ul', { class: 'small', id: 'node-events' }, ev.events.map((e) => el('li', null, fmtTime(e.at), ' · ', tv('event', e.kind), ' · #', String(e.seq), e.actor_party ? ` · ${e.actor_party}` : '', ` (${e.actor_key})`))),
        );
      }
    }
  } catch (e) {
    parts.push(errorBox(e));
  }
  if (state.selected === n.id) replace(more, parts);
}

// ---- upstream view ---------------------------------------------------------------------------

async function renderUp(container) {
  const data = await api(`/trace/upstream/${encodeURIComponent(rootId)}`);
  state.data = data;
  const known = new Set(data.nodes.map((n) => n.id));
  const rootKind = idKind(rootId);
  const batches = data.nodes.filter((n) => n.kind === 'batch').map((n) => n.id);
  state.extra = rootKind === 'unit' || rootKind === 'batch' ? await listingsOf(batches, known) : [];
  const names = await platformNames([...data.nodes.filter((n) => n.kind === 'listing').map((n) => n.platform), ...state.extra.map((l) => l.platform)]);
  const model = buildGraphModel(data, state.extra, names);
  const root = data.nodes.find((n) => n.id === data.root);
  const g = drawGraph(model.nodes, model.edges, {
    vertical: narrow.matches,
    title: `${t('trace.up')} ${root ? root.label : rootId}`,
    onSelect: (n) => showDetails(n),
  });
  state.graph = g;
  const box = el('div', { class: 'graph-box', id: 'graph' }, g.svg);
  const suppliers = data.suppliers.map((sp) => {
    const node = data.nodes.find((n) => n.id === sp.id);
    return el('li', null, el('strong', null, sp.name), ' · ', sp.city, ' ', markBadge(node && node.mark), ' ', el('span', { class: 'muted small' }, sp.lots.map((l) => (data.nodes.find((n) => n.id === l) || {}).lot_code || l).join(', ')));
  });
  replace(
    container,
    el('p', { class: 'muted small' }, t('trace.nodes_count', { nodes: model.nodes.length, edges: model.edges.length }), ' · ', t('trace.click_hint')),
    legend(),
    graphToolbar(`trace-${rootId}`),
    box,
    el('section', { class: 'card', style: 'margin-top:1rem' }, el('h2', null, t('q.lot_supplier')), el('ul', { id: 'suppliers' }, suppliers)),
  );
  // Fit the drawing to the box on small screens (still scrollable, zoom buttons to enlarge).
  const avail = box.clientWidth || main.clientWidth;
  state.scale = Math.min(1, Math.max(avail < 600 ? 0.6 : 0.8, avail / g.width));
  applyScale();
  const rootNode = model.nodes.find((n) => n.root);
  if (rootNode) showDetails(rootNode);
}

// ---- downstream view -------------------------------------------------------------------------

function summaryModel(d, rootLabel, rootTop) {
  const nodes = [];
  const edges = [];
  const rk = idKind(d.root);
  nodes.push({ id: d.root, kind: rk === 'party' ? 'party' : rk, top: rootTop, title: rootLabel, sub: '', root: true, raw: { id: d.root, kind: rk } });
  let prev = d.root;
  const step = (id, kind, title, count, label) => {
    if (!count) return;
    nodes.push({ id, kind, top: t(`trace.${kind}`), title, sub: '', raw: { id, kind: 'count' } });
    edges.push({ from: prev, to: id, label });
    prev = id;
  };
  step('n:lots', 'lots', `${fmtNum(d.lot_count)}`, d.lot_count, '');
  step('n:batches', 'batches', `${fmtNum(d.batch_count)}`, d.batch_count, '');
  step('n:units', 'units', `${fmtNum(d.unit_count)}`, d.unit_count, '');
  for (const p of d.listings.by_platform) {
    const id = `p:${p.platform}`;
    nodes.push({ id, kind: 'listing', top: t('kind.listing'), title: p.name, sub: `${t('common.of_total', { n: fmtNum(p.listings) })} · ${t('trace.active', { n: fmtNum(p.active) })}`, raw: { id: p.platform, kind: 'platform', platform: p }, group: undefined });
    edges.push({ from: prev, to: id, label: fmtNum(p.listings) });
  }
  return { nodes, edges };
}

function itemsTable(kind, items, names) {
  if (!items.length) return el('p', { class: 'muted' }, t('common.none'));
  let head;
  let rows;
  if (kind === 'listings') {
    head = [t('f.title'), t('f.platform'), t('f.shop'), t('f.item_id'), t('common.status')];
    rows = items.map((l) => [el('a', { href: `/trace/${l.id}` }, l.title), names.get(l.platform) || l.platform, l.shop, safeUrl(l.url) ? el('a', { href: safeUrl(l.url), rel: 'noopener noreferrer', target: '_blank' }, l.item_id) : l.item_id, statusBadge('listing', l.status)]);
  } else if (kind === 'batches') {
    head = [t('f.batch_code'), t('f.product'), t('f.model'), t('f.pieces'), t('f.produced_at')];
    rows = items.map((b) => [el('a', { href: `/trace/${b.id}` }, b.batch_code), b.product, b.model, fmtNum(b.quantity), fmtTime(b.produced_at)]);
  } else {
    head = [t('f.lot_code'), t('f.material'), t('f.class'), t('f.quantity'), t('f.producer')];
    rows = items.map((l) => [el('a', { href: `/trace/${l.id}` }, l.lot_code), tv('material', l.material), tv('class', l.formaldehyde_class), fmtQty(l.quantity), l.producer]);
  }
  return el('div', { class: 'table-wrap' }, el('table', { id: 'items-table' }, el('thead', null, el('tr', null, head.map((h) => el('th', null, h)))), el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => el('td', null, c)))))));
}

async function renderDown(container) {
  state.itemsKind = state.itemsKind || 'listings';
  state.platform = state.platform || '';
  const first = await api(`/trace/downstream/${encodeURIComponent(rootId)}`, { query: { items: state.itemsKind, limit: 50, platform: state.platform } });
  state.data = first;
  const rk = idKind(rootId);
  let rootLabel = rootId;
  let rootTop = t(`kind.${rk}`);
  try {
    if (rk === 'party') {
      const p = await partyInfo(rootId);
      rootLabel = p.name;
      rootTop = tv('role', p.role);
    }
    else if (rk === 'lot') rootLabel = (await api(`/lots/${rootId}`)).lot_code;
    else if (rk === 'batch') rootLabel = (await api(`/batches/${rootId}`)).batch_code;
  } catch {
    /* keep the id */
  }
  const model = summaryModel(first, rootLabel, rootTop);
  const g = drawGraph(model.nodes, model.edges, { vertical: narrow.matches, title: `${t('trace.down')} ${rootLabel}`, onSelect: (n) => selectPlatform(n) });
  state.graph = g;
  const d = first;
  const tiles = el(
    'div',
    { class: 'tiles', id: 'down-summary' },
    el('div', { class: 'tile' }, el('div', { class: 'n' }, fmtNum(d.lot_count)), el('div', { class: 'l' }, t('trace.lots'))),
    el('div', { class: 'tile' }, el('div', { class: 'n' }, fmtNum(d.batch_count)), el('div', { class: 'l' }, t('trace.batches'))),
    el('div', { class: 'tile' }, el('div', { class: 'n' }, fmtNum(d.unit_count)), el('div', { class: 'l' }, t('trace.units'))),
    el('div', { class: `tile ${d.listings.active ? 'warn' : ''}` }, el('div', { class: 'n', id: 'listing-total' }, fmtNum(d.listings.total)), el('div', { class: 'l' }, t('trace.listings'), ' · ', t('trace.active', { n: fmtNum(d.listings.active) }))),
  );
  const platRows = d.listings.by_platform.map((p) =>
    el('tr', { 'data-platform': p.platform },
      el('td', null, el('strong', null, p.name)),
      el('td', { class: 'num' }, fmtNum(p.listings)),
      el('td', { class: 'num' }, fmtNum(p.active)),
      el('td', null, p.sellers.slice(0, 5).map((sl) => el('div', { class: 'small' }, `${sl.name}: ${fmtNum(sl.listings)}`)), p.sellers.length > 5 ? el('div', { class: 'small muted' }, `… +${p.sellers.length - 5}`) : null)),
  );
  const names = new Map(d.listings.by_platform.map((p) => [p.platform, p.name]));
  const tableBox = el('div');
  const platformSel = el('select', { id: 'platform-filter', 'aria-label': t('trace.platform_filter') }, el('option', { value: '' }, t('common.all')), d.listings.by_platform.map((p) => el('option', { value: p.platform, selected: p.platform === state.platform }, p.name)));
  const pager = cursorPager(async (cursor) => {
    replace(tableBox, loading());
    try {
      const r = await api(`/trace/downstream/${encodeURIComponent(rootId)}`, { query: { items: state.itemsKind, limit: 50, cursor, platform: state.itemsKind === 'listings' ? state.platform : '' } });
      replace(tableBox, itemsTable(state.itemsKind, r.page.items, names));
      return { next: r.page.next_cursor };
    } catch (e) {
      replace(tableBox, errorBox(e));
      return {};
    }
  });
  const tabs = el('div', { class: 'tabs' }, ['listings', 'batches', 'lots'].map((k) =>
    el('button', { type: 'button', 'aria-pressed': state.itemsKind === k ? 'true' : 'false', 'data-items': k, onclick: () => { state.itemsKind = k; $$tabs(); pager.reset(); } }, t(`trace.items.${k}`))));
  function $$tabs() {
    tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', b.dataset.items === state.itemsKind ? 'true' : 'false'));
    platformSel.closest('.field').classList.toggle('hidden', state.itemsKind !== 'listings');
  }
  platformSel.addEventListener('change', () => {
    state.platform = platformSel.value;
    pager.reset();
  });
  const box = el('div', { class: 'graph-box', id: 'graph' }, g.svg);
  replace(
    container,
    d.scope === 'own' ? el('div', { class: 'notice' }, t('trace.scope_shipments')) : null,
    tiles,
    graphToolbar(`trace-down-${rootId}`),
    box,
    d.shipped_to.length ? el('section', { class: 'card', style: 'margin-top:1rem' }, el('h2', null, t('trace.shipped_to')), el('ul', null, d.shipped_to.map((r) => el('li', null, r.name, ' ', el('span', { class: 'muted small' }, `(${r.lots} ${t('trace.lots')})`))))) : null,
    d.listings.by_platform.length
      ? el('section', { class: 'card', style: 'margin-top:1rem' }, el('h2', null, t('trace.by_platform')),
        el('div', { class: 'table-wrap' }, el('table', { id: 'platform-table' },
          el('thead', null, el('tr', null, el('th', null, t('f.platform')), el('th', { class: 'num' }, t('trace.listings')), el('th', { class: 'num' }, t('listing.active')), el('th', null, t('trace.sellers')))),
          el('tbody', null, platRows))))
      : null,
    el('section', { class: 'card', style: 'margin-top:1rem' }, el('h2', null, t('trace.items')), tabs,
      el('div', { class: 'field', style: 'max-width:20rem' }, el('label', { for: 'platform-filter' }, t('trace.platform_filter')), platformSel), tableBox, pager.el),
  );
  $$tabs();
  const avail = box.clientWidth || main.clientWidth;
  state.scale = Math.min(1, Math.max(avail < 600 ? 0.6 : 0.8, avail / g.width));
  applyScale();
  pager.reset();
  replace($('#details'), el('h2', null, t('trace.summary')), el('p', { class: 'muted small' }, t('trace.click_hint')));
}

function selectPlatform(n) {
  if (n.raw && n.raw.kind === 'platform') {
    const sel = $('#platform-filter');
    state.itemsKind = 'listings';
    if (sel) {
      sel.value = n.raw.platform.platform;
      sel.dispatchEvent(new Event('change'));
    }
    const p = n.raw.platform;
    replace($('#details'), el('h2', null, p.name), kv([[t('trace.listings'), fmtNum(p.listings)], [t('listing.active'), fmtNum(p.active)]]),
      el('ul', { class: 'small' }, p.sellers.map((sl) => el('li', null, `${sl.name}: ${fmtNum(sl.listings)}`))));
    state.graph.select(n.id);
  } else if (n.raw && n.raw.id && !n.id.includes(':')) {
    showDetails({ ...n, raw: { ...n.raw, kind: n.raw.kind } });
  }
}

// ---- page ------------------------------------------------------------------------------------

async function load() {
  const view = $('#view');
  const dirBox = $('#dir');
  if (dirBox) dirBox.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', b.dataset.dir === dir ? 'true' : 'false'));
  replace(view, loading());
  state.graph = null;
  try {
    if (dir === 'up') await renderUp(view);
    else await renderDown(view);
  } catch (e) {
    replace(view, errorBox(e));
  }
}

async function start() {
  const me = await chrome('trace', { needKey: true });
  if (!me) return;
  document.title = `${t('trace.title')} ${rootId} · ${t('app.name')}`;
  const canDown = DOWN_KINDS.includes(idKind(rootId));
  replace(
    main,
    el('div', { class: 'spread' },
      el('h1', null, t(dir === 'up' ? 'trace.up' : 'trace.down'), ' ', el('code', null, rootId)),
      el('div', { class: 'seg', id: 'dir', role: 'group', 'aria-label': t('trace.direction') },
        el('button', { type: 'button', 'data-dir': 'up', 'aria-pressed': String(dir === 'up'), onclick: () => { setDir('up'); $('h1').firstChild.textContent = t('trace.up'); } }, t('trace.up')),
        el('button', { type: 'button', 'data-dir': 'down', disabled: !canDown, 'aria-pressed': String(dir === 'down'), onclick: () => { setDir('down'); $('h1').firstChild.textContent = t('trace.down'); } }, t('trace.down')))),
    el('div', { class: 'trace-layout' },
      el('div', { id: 'view', style: 'min-width:0' }),
      el('aside', { class: 'card details', id: 'details', 'aria-live': 'polite' }, el('h2', null, t('trace.details')), el('p', { class: 'muted small' }, t('trace.click_hint')))),
  );
  await load();
}

document.addEventListener('langchange', () => start());
start();

