// Reseller page (`/distributor`, for the distributor role: resellers and online
// shops): the finished goods received by goods shipment and what is left of each batch,
// the listings that sell those batches with the pieces the platforms reported sold (by
// province), shipping goods on to another reseller, and the goods shipments in and out.
import {
  t, tv, el, $, replace, api, chrome, loading, errorBox, fmtNum, statusBadge, partyInfo,
  field, provincesText, safeUrl,
} from './app.js';
import { goodsTable, shipmentsTable, goodsShipForm } from './goods.js';

const main = $('main');
const st = { party: null, goods: null, resellers: [] };

function section(id, titleKey, ...body) {
  return el('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, t(titleKey)), ...body);
}

/** The listings selling the batches received (each batch's downstream, this seller's only). */
async function listingsOf(goods) {
  const seen = new Map();
  for (const g of goods) {
    const d = await api(`/trace/downstream/${encodeURIComponent(g.batch)}`, { query: { items: 'listings', limit: 500 } });
    for (const l of d.page.items || []) {
      if (l.seller === st.party && !seen.has(l.id)) seen.set(l.id, l);
    }
  }
  return [...seen.values()];
}

async function listingsTable(list, codes) {
  if (!list.length) return el('p', { class: 'muted', id: 'listings-none' }, t('goods.listings_none'));
  const rows = await Promise.all(list.map(async (l) => {
    const [p, sales] = await Promise.all([partyInfo(l.platform), api('/sales', { query: { listing: l.id } }).then((r) => r.sales).catch(() => [])]);
    const byProvince = {};
    let pieces = 0;
    let last = '';
    for (const s of sales) {
      pieces += s.pieces;
      const code = s.province ? s.province.code : 'unknown';
      byProvince[code] = (byProvince[code] || 0) + s.pieces;
      if (s.day > last) last = s.day;
    }
    return el('tr', { 'data-listing': l.id },
      el('td', null, el('a', { href: `/trace/${l.id}` }, l.title), el('div', { class: 'small muted' }, safeUrl(l.url) ? el('a', { href: safeUrl(l.url), rel: 'noopener noreferrer', target: '_blank' }, l.item_id) : l.item_id)),
      el('td', null, p ? p.name : l.platform, el('div', { class: 'small muted' }, l.shop)),
      el('td', { class: 'small' }, (l.batches || []).map((b) => el('div', null, codes.get(b) || b))),
      el('td', null, statusBadge('listing', l.status)),
      el('td', { class: 'sold', 'data-sold': String(pieces) }, el('strong', null, t('exp.pieces', { n: fmtNum(pieces) })),
        pieces ? el('div', { class: 'small muted sold-provinces' }, provincesText(byProvince)) : null,
        last ? el('div', { class: 'small muted' }, last) : null));
  }));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'listings-table' },
    el('thead', null, el('tr', null, [t('f.title'), t('f.platform'), t('goods.batch'), t('common.status'), t('goods.sales')].map((h) => el('th', null, h)))),
    el('tbody', null, rows)));
}

async function load() {
  const goodsBox = $('#goods-body');
  const listBox = $('#listings-body');
  const shipBox = $('#goods-shipments-body');
  const formBox = $('#ship-on-body');
  [goodsBox, listBox, shipBox].forEach((b) => replace(b, loading()));
  let g;
  try {
    g = await api(`/parties/${encodeURIComponent(st.party)}/goods`);
  } catch (e) {
    [goodsBox, listBox, shipBox].forEach((b) => replace(b, errorBox(e)));
    return;
  }
  st.goods = g;
  const codes = new Map(g.goods.map((x) => [x.batch, x.batch_code]));
  replace(goodsBox, await goodsTable(g));
  replace(shipBox, await shipmentsTable(g, codes));
  replace(formBox, goodsShipForm({
    from: st.party,
    prefix: 'ship-on',
    batches: g.goods.filter((x) => x.available > 0).map((x) => ({ id: x.batch, code: x.batch_code, product: x.product, available: x.available })),
    resellers: st.resellers,
    onDone: load,
  }));
  try {
    replace(listBox, el('p', { class: 'small muted' }, t('goods.listings_hint')), await listingsTable(await listingsOf(g.goods), codes));
  } catch (e) {
    replace(listBox, errorBox(e));
  }
}

async function start() {
  const me = await chrome('distributor', { needKey: true, roles: ['distributor', 'operator'] });
  if (!me) return;
  const title = t('goods.title_page');
  document.title = `${title} · ${t('app.name')}`;
  st.party = me.party ? me.party.id : new URLSearchParams(location.search).get('party') || '';
  if (!st.party) {
    // The operator acts for a reseller named in the address: ?party=pty_….
    const input = el('input', { type: 'text', id: 'acting-party', spellcheck: 'false', placeholder: 'pty_…' });
    const form = el('form', { class: 'card', novalidate: true }, field('role.distributor', input), el('button', { type: 'submit' }, t('signin.trace_go')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.search = `?party=${encodeURIComponent(input.value.trim())}`;
    });
    replace(main, el('h1', null, title), form);
    return;
  }
  const party = me.party || (await partyInfo(st.party));
  try {
    st.resellers = (await api('/parties', { query: { role: 'distributor' } })).parties || [];
  } catch {
    st.resellers = [];
  }
  replace(main,
    el('div', { class: 'spread' },
      el('h1', null, title, party ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${party.name}`) : null),
      el('button', { type: 'button', class: 'secondary small', id: 'goods-refresh', onclick: () => load() }, t('common.refresh'))),
    party ? el('p', { class: 'small muted' }, tv('role', party.role), party.city ? ` · ${party.city}` : '', party.uscc ? [' · ', el('code', null, party.uscc)] : null) : null,
    section('goods', 'goods.held', el('div', { id: 'goods-body' })),
    section('listings', 'goods.listings', el('div', { id: 'listings-body' })),
    section('ship-on', 'goods.ship_on', el('div', { id: 'ship-on-body' })),
    section('goods-shipments', 'goods.shipments', el('div', { id: 'goods-shipments-body' })));
  await load();
}

document.addEventListener('langchange', () => start());
start();
