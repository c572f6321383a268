// Finished goods (pieces of production batches), shared by the factory page and the
// reseller page: what a party holds per batch (`GET /parties/{id}/goods`), its goods
// shipments in and out, and the form that ships pieces to a reseller (`POST
// /goods-shipments`, mass balance on pieces checked by the server and shown next to the
// number of pieces).
import {
  t, el, replace, api, fmtNum, fmtTime, busy, partyInfo, field, clearErrors, showError,
  checkRequired, nowLocalCN, cnToRfc3339,
} from './app.js';

async function names(ids) {
  const out = new Map();
  await Promise.all([...new Set(ids.filter(Boolean))].map(async (id) => {
    const p = await partyInfo(id);
    out.set(id, p ? p.name : id);
  }));
  return out;
}

/** What a party holds per batch: received, shipped, sold, available. */
export async function goodsTable(g) {
  if (!g.goods.length) return el('p', { class: 'muted', id: 'goods-none' }, t('goods.none'));
  const makers = await names(g.goods.map((x) => x.manufacturer));
  const num = (n) => el('td', { class: 'num' }, fmtNum(n));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'goods-table' },
    el('thead', null, el('tr', null, [t('goods.batch'), t('f.product'), t('f.manufacturer')].map((h) => el('th', null, h)),
      [t('goods.received'), t('goods.shipped'), t('goods.sold'), t('goods.available')].map((h) => el('th', { class: 'num' }, h)))),
    el('tbody', null, g.goods.map((x) => el('tr', { 'data-batch': x.batch },
      el('td', null, el('a', { href: `/trace/${x.batch}` }, x.batch_code), el('div', { class: 'small muted' }, el('code', null, x.batch))),
      el('td', null, x.product),
      el('td', null, makers.get(x.manufacturer)),
      num(x.received), num(x.shipped), num(x.sold),
      el('td', { class: 'num available' }, el('strong', null, fmtNum(x.available))))))));
}

/** The goods shipments a party sent or received, newest first. */
export async function shipmentsTable(g, codes = new Map()) {
  if (!g.shipments.length) return el('p', { class: 'muted' }, t('common.none'));
  const who = await names(g.shipments.flatMap((s) => [s.from, s.to]));
  for (const x of g.goods) codes.set(x.batch, x.batch_code);
  return el('div', { class: 'table-wrap' }, el('table', { id: 'goods-shipments-table' },
    el('thead', null, el('tr', null, [t('common.id'), t('goods.batch'), t('f.from'), t('f.to'), t('f.shipped_at')].map((h) => el('th', null, h)), el('th', { class: 'num' }, t('goods.pieces')))),
    el('tbody', null, g.shipments.map((s) => el('tr', { 'data-shipment': s.id, class: s.to === g.party ? 'in' : 'out' },
      el('td', null, el('code', { class: 'small' }, s.id), el('div', { class: 'small muted' }, t(s.to === g.party ? 'goods.direction_in' : 'goods.direction_out'))),
      el('td', null, el('a', { href: `/trace/${s.batch}` }, codes.get(s.batch) || s.batch)),
      el('td', null, who.get(s.from)),
      el('td', null, who.get(s.to)),
      el('td', null, fmtTime(s.shipped_at)),
      el('td', { class: 'num' }, fmtNum(s.pieces)))))));
}

/**
 * Ships pieces of a batch from `from` to a reseller. `batches`: [{id, code, product,
 * available}] to pick from. `onDone(shipment)` after a 201.
 */
export function goodsShipForm({ from, batches, resellers, prefix, onDone }) {
  const batch = el('select', { id: `${prefix}-batch`, 'data-field': 'batch', required: true },
    el('option', { value: '' }, `— ${t('goods.pick_batch')} —`),
    batches.map((b) => el('option', { value: b.id }, t('goods.batch_option', { code: b.code, product: b.product, avail: fmtNum(b.available) }))));
  const to = el('input', { type: 'text', id: `${prefix}-to`, 'data-field': 'to', required: true, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', placeholder: 'pty_…', list: `${prefix}-to-list` });
  const toList = el('datalist', { id: `${prefix}-to-list` }, resellers.filter((p) => p.id !== from).map((p) => el('option', { value: p.id }, `${p.name} · ${p.city || ''}`)));
  const toName = el('div', { class: 'hint', 'aria-live': 'polite' });
  to.addEventListener('change', async () => {
    const p = await partyInfo(to.value.trim());
    toName.textContent = p ? `${p.name} · ${p.city || ''}` : t('common.unknown_party');
  });
  const pieces = el('input', { type: 'number', id: `${prefix}-pieces`, 'data-field': 'pieces', min: '1', step: '1', required: true, 'data-positive': '1', inputmode: 'numeric' });
  const at = el('input', { type: 'datetime-local', id: `${prefix}-at`, 'data-field': 'shipped_at', required: true, value: nowLocalCN() });
  const button = el('button', { type: 'submit', id: `${prefix}-submit` }, t('fac.register'));
  const result = el('div', { id: `${prefix}-result`, 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: `${prefix}-form` },
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('goods.batch', batch), el('div', { class: 'field' }, el('label', { for: to.id }, t('goods.to')), to, toList, toName)),
    el('div', { class: 'inline-fields' }, field('goods.pieces', pieces), field('f.shipped_at', at, { hint: t('common.time_hint') })),
    button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    await busy(button, async () => {
      try {
        const r = await api('/goods-shipments', { method: 'POST', body: { batch: batch.value, from, to: to.value.trim(), pieces: Number(pieces.value), shipped_at: cnToRfc3339(at.value) } });
        replace(result, el('div', { class: 'success', role: 'status' }, t('goods.created', { id: r.id, pieces: fmtNum(r.pieces) })));
        pieces.value = '';
        if (onDone) await onDone(r);
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}
