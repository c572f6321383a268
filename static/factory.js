// Factory (`/manufacturer`, `/supplier`): register a board lot, a shipment, an intermediate
// lot and a production batch whose inputs are picked from the lots the party holds (with
// what is left of each); a refused mass balance is shown next to the quantity it concerns.
// Then print the batch's QR label sheet. A maker ships finished pieces of its batches to
// resellers and sees those goods shipments.
import {
  t, tv, el, $, $$, replace, api, chrome, loading, fmtNum, busy, partyInfo,
  field, clearErrors, showError, checkRequired, nowLocalCN, cnToRfc3339, download, fieldError,
} from './app.js';
import { shipmentsTable, goodsShipForm } from './goods.js';

const main = $('main');
const MATERIALS = ['plywood', 'particleboard', 'mdf', 'osb', 'solid_wood', 'veneer', 'edge_banding', 'adhesive', 'other'];
const CLASSES = ['E0', 'ENF', 'E1', 'none'];
const UNITS = ['sheet', 'm3', 'kg', 'piece', 'set'];
const st = { me: null, party: null, stock: null, stockError: null, makers: [] };

// ---- stock ---------------------------------------------------------------------------------

async function loadStock() {
  const box = $('#stock-body');
  if (box) replace(box, loading());
  try {
    const r = await api(`/parties/${encodeURIComponent(st.party)}/stock`);
    st.stock = r.lots;
    st.stockError = null;
  } catch (e) {
    st.stock = null;
    st.stockError = e;
  }
  if (box) replace(box, stockTable());
  $$('select.lot-pick').forEach((sel) => fillLots(sel));
}

function stockTable() {
  if (!st.stock) return el('div', { class: 'notice' }, t('fac.stock_missing', { detail: st.stockError ? st.stockError.message_for_people() : '' }));
  if (!st.stock.length) return el('p', { class: 'muted' }, t('fac.stock_none'));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'stock-table' },
    el('thead', null, el('tr', null, [t('f.lot_code'), t('f.material'), t('f.class'), t('f.available'), t('f.received'), t('f.consumed'), t('f.shipped')].map((h, i) => el('th', { class: i >= 3 ? 'num' : '' }, h)))),
    el('tbody', null, st.stock.map((l) => el('tr', { 'data-lot': l.lot },
      el('td', null, el('a', { href: `/trace/${l.lot}` }, l.lot_code), el('div', { class: 'small muted' }, el('code', null, l.lot))),
      el('td', null, tv('material', l.material)),
      el('td', null, tv('class', l.formaldehyde_class)),
      el('td', { class: 'num' }, el('strong', null, fmtNum(l.available)), ' ', tv('unit', l.unit)),
      el('td', { class: 'num' }, fmtNum((l.received || 0) + (l.produced || 0))),
      el('td', { class: 'num' }, fmtNum(l.consumed)),
      el('td', { class: 'num' }, fmtNum(l.shipped)))))));
}

function lotLabel(l) {
  return t('fac.lot_option', { code: l.lot_code, material: tv('material', l.material), avail: fmtNum(l.available), unit: tv('unit', l.unit) });
}

function fillLots(sel) {
  const cur = sel.value;
  const lots = (st.stock || []).filter((l) => l.available > 0 || l.lot === cur);
  replace(sel, el('option', { value: '' }, `— ${t('fac.pick_lot')} —`), lots.map((l) => el('option', { value: l.lot, 'data-unit': l.unit, 'data-available': l.available }, lotLabel(l))));
  sel.value = cur;
  sel.dispatchEvent(new Event('change'));
}

/** A lot picker: a select over the stock, or a text box for the id when the stock is unknown. */
function lotPicker(id, fieldPaths) {
  if (st.stock) {
    const sel = el('select', { id, class: 'lot-pick', 'data-field': fieldPaths, required: true });
    fillLots(sel);
    return sel;
  }
  return el('input', { type: 'text', id, 'data-field': fieldPaths, required: true, spellcheck: 'false', placeholder: 'lot_…' });
}

function lotOf(id) {
  return (st.stock || []).find((l) => l.lot === id) || null;
}

// ---- input rows (intermediate lots and batches) -------------------------------------------------

function inputRows(prefix) {
  const list = el('div', { class: 'input-rows' });
  const add = el('button', { type: 'button', class: 'secondary small add-input' }, '+ ', t('fac.add_input'));
  const renumber = () => {
    $$('.input-row', list).forEach((row, i) => {
      const sel = $('.input-lot', row);
      const qty = $('.input-qty', row);
      sel.dataset.field = `inputs[${i}].lot inputs[${i}]`;
      qty.dataset.field = `inputs[${i}].quantity.value inputs[${i}].quantity.unit inputs[${i}].quantity`;
      $('legend', row).textContent = `${t('f.inputs')} ${i + 1}`;
    });
  };
  let n = 0;
  const addRow = () => {
    n += 1;
    const lot = lotPicker(`${prefix}-lot-${n}`, '');
    lot.classList.add('input-lot');
    const qty = el('input', { type: 'number', id: `${prefix}-qty-${n}`, class: 'input-qty', min: '0', step: 'any', inputmode: 'decimal', required: true, 'data-positive': '1' });
    const unit = el('span', { class: 'input-unit muted' });
    const left = el('div', { class: 'hint input-left', 'aria-live': 'polite' });
    const remove = el('button', { type: 'button', class: 'link small' }, t('fac.remove_input'));
    const update = () => {
      const l = lotOf(lot.value);
      unit.textContent = l ? tv('unit', l.unit) : '';
      left.textContent = l ? t('fac.remaining', { avail: fmtNum(l.available), unit: tv('unit', l.unit) }) : '';
    };
    lot.addEventListener('change', update);
    const row = el('fieldset', { class: 'input-row' }, el('legend', null, ''),
      el('div', { class: 'inline-fields' },
        el('div', { class: 'field' }, el('label', { for: lot.id }, t('f.input_lot')), lot, left),
        el('div', { class: 'field' }, el('label', { for: qty.id }, t('f.quantity'), ' ', unit), qty)),
      remove);
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
    });
    list.appendChild(row);
    renumber();
    update();
  };
  add.addEventListener('click', () => {
    addRow();
    $('.input-row:last-child .input-lot', list).focus();
  });
  addRow();
  const read = () => $$('.input-row', list).map((row) => {
    const lot = $('.input-lot', row).value.trim();
    const l = lotOf(lot);
    return { lot, quantity: { value: Number($('.input-qty', row).value), unit: l ? l.unit : 'sheet' } };
  });
  return { el: el('div', null, list, add), read };
}

// ---- forms -------------------------------------------------------------------------------------

function selectOf(id, fieldName, values, prefix) {
  return el('select', { id, 'data-field': fieldName }, values.map((v) => el('option', { value: v }, tv(prefix, v))));
}

function lotForm({ intermediate }) {
  const p = intermediate ? 'inter' : 'lot';
  const code = el('input', { type: 'text', id: `${p}-code`, 'data-field': 'lot_code', required: true, autocomplete: 'off' });
  const material = selectOf(`${p}-material`, 'material', MATERIALS, 'material');
  const cls = selectOf(`${p}-class`, 'formaldehyde_class', CLASSES, 'class');
  const qty = el('input', { type: 'number', id: `${p}-qty`, 'data-field': 'quantity.value quantity', min: '0', step: 'any', required: true, 'data-positive': '1', inputmode: 'decimal' });
  const unit = selectOf(`${p}-unit`, 'quantity.unit', UNITS, 'unit');
  if (intermediate) unit.value = 'piece';
  const at = el('input', { type: 'datetime-local', id: `${p}-at`, 'data-field': 'produced_at', required: true, value: nowLocalCN() });
  const gtin = el('input', { type: 'text', id: `${p}-gtin`, 'data-field': 'gtin', inputmode: 'numeric', autocomplete: 'off' });
  const inputs = intermediate ? inputRows('inter') : null;
  const button = el('button', { type: 'submit' }, t('fac.register'));
  const result = el('div', { 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: `${p}-form` },
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('f.lot_code', code), field('f.material', material), field('f.class', cls)),
    el('div', { class: 'inline-fields' }, field('f.quantity', qty), field('f.unit', unit), field('f.produced_at', at, { hint: t('common.time_hint') }), field('f.gtin', gtin, { optional: true })),
    inputs ? el('h3', null, t('f.inputs')) : null, inputs ? inputs.el : null,
    el('div', { class: 'row', style: 'margin-top:.75rem' }, button), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const body = {
      producer: st.party,
      lot_code: code.value.trim(),
      material: material.value,
      formaldehyde_class: cls.value,
      quantity: { value: Number(qty.value), unit: unit.value },
      produced_at: cnToRfc3339(at.value),
      gtin: gtin.value.trim() || undefined,
      inputs: inputs ? inputs.read() : undefined,
    };
    await busy(button, async () => {
      try {
        const r = await api('/lots', { method: 'POST', body });
        replace(result, el('div', { class: 'success', role: 'status' }, t('fac.created_lot', { code: r.lot_code, id: r.id }), ' ', el('a', { href: `/trace/${r.id}` }, t('fac.view_trace'))));
        code.value = '';
        await loadStock();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}

function shipmentForm() {
  const lot = lotPicker('ship-lot', 'lot');
  // The receiving maker: typed as an id, or picked from the directory (a datalist).
  const to = el('input', { type: 'text', id: 'ship-to', 'data-field': 'to', required: true, spellcheck: 'false', placeholder: 'pty_…', list: 'ship-to-list', autocomplete: 'off' });
  const toList = el('datalist', { id: 'ship-to-list' }, st.makers.filter((p) => p.id !== st.party).map((p) => el('option', { value: p.id }, `${p.name} · ${p.city}`)));
  const toName = el('div', { class: 'hint', 'aria-live': 'polite' });
  const qty = el('input', { type: 'number', id: 'ship-qty', 'data-field': 'quantity.value quantity.unit quantity', min: '0', step: 'any', required: true, 'data-positive': '1', inputmode: 'decimal' });
  const unit = el('span', { class: 'muted' });
  const left = el('div', { class: 'hint', 'aria-live': 'polite' });
  const at = el('input', { type: 'datetime-local', id: 'ship-at', 'data-field': 'shipped_at', required: true, value: nowLocalCN() });
  const button = el('button', { type: 'submit' }, t('fac.register'));
  const result = el('div', { 'aria-live': 'polite' });
  const update = () => {
    const l = lotOf(lot.value);
    unit.textContent = l ? tv('unit', l.unit) : '';
    left.textContent = l ? t('fac.remaining', { avail: fmtNum(l.available), unit: tv('unit', l.unit) }) : '';
  };
  lot.addEventListener('change', update);
  to.addEventListener('change', async () => {
    const p = await partyInfo(to.value.trim());
    toName.textContent = p ? `${p.name} · ${p.city} · ${tv('role', p.role)}` : t('common.unknown_party');
  });
  const form = el('form', { novalidate: true, id: 'ship-form' },
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' },
      el('div', { class: 'field' }, el('label', { for: lot.id }, t('f.input_lot')), lot, left),
      el('div', { class: 'field' }, el('label', { for: to.id }, t('fac.to_party')), to, toList, toName)),
    el('div', { class: 'inline-fields' },
      el('div', { class: 'field' }, el('label', { for: qty.id }, t('f.quantity'), ' ', unit), qty),
      field('f.shipped_at', at, { hint: t('common.time_hint') })),
    button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const l = lotOf(lot.value.trim());
    await busy(button, async () => {
      try {
        const r = await api('/shipments', { method: 'POST', body: { lot: lot.value.trim(), from: st.party, to: to.value.trim(), quantity: { value: Number(qty.value), unit: l ? l.unit : 'sheet' }, shipped_at: cnToRfc3339(at.value) } });
        replace(result, el('div', { class: 'success', role: 'status' }, t('fac.created_ship', { id: r.id })));
        qty.value = '';
        await loadStock();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  update();
  return form;
}

async function printLabels(batchId, columns, button, result) {
  // Open the window now (in the click) so that no pop-up blocker stops it; fill it when
  // the sheet has arrived (it needs the key, so it is fetched here, not linked).
  const w = window.open('', '_blank');
  await busy(button, async () => {
    try {
      const html = await api(`/batches/${encodeURIComponent(batchId)}/labels`, { query: { columns }, as: 'text', accept: 'text/html' });
      const blob = new Blob([html], { type: 'text/html' });
      if (w) w.location.href = URL.createObjectURL(blob);
      else download(blob, `labels-${batchId}.html`);
    } catch (e) {
      if (w) w.close();
      result.appendChild(el('div', { class: 'form-error', role: 'alert' }, t('fac.labels_failed', { detail: e.message_for_people ? e.message_for_people() : String(e) })));
    }
  });
}

function batchForm() {
  const code = el('input', { type: 'text', id: 'batch-code', 'data-field': 'batch_code', required: true, autocomplete: 'off' });
  const name = el('input', { type: 'text', id: 'batch-product', 'data-field': 'product.name product', required: true });
  const model = el('input', { type: 'text', id: 'batch-model', 'data-field': 'product.model', required: true });
  const gtin = el('input', { type: 'text', id: 'batch-gtin', 'data-field': 'product.gtin', inputmode: 'numeric', autocomplete: 'off' });
  const qty = el('input', { type: 'number', id: 'batch-qty', 'data-field': 'quantity', min: '1', step: '1', required: true, 'data-positive': '1', inputmode: 'numeric' });
  const serials = el('input', { type: 'checkbox', id: 'batch-serials', 'data-field': 'serials', checked: true });
  const at = el('input', { type: 'datetime-local', id: 'batch-at', 'data-field': 'produced_at', required: true, value: nowLocalCN() });
  const inputs = inputRows('batch');
  const button = el('button', { type: 'submit', id: 'batch-submit' }, t('fac.register'));
  const result = el('div', { id: 'batch-result', 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: 'batch-form' },
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('f.batch_code', code), field('f.product_name', name), field('f.model', model), field('f.gtin', gtin, { optional: true })),
    el('div', { class: 'inline-fields' }, field('f.pieces', qty), field('f.produced_at', at, { hint: t('common.time_hint') })),
    el('div', { class: 'field' }, el('label', { class: 'check', for: serials.id }, serials, t('f.serials'))),
    el('h3', null, t('f.inputs')), inputs.el,
    el('div', { class: 'row', style: 'margin-top:.75rem' }, button), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const body = {
      manufacturer: st.party,
      batch_code: code.value.trim(),
      product: { name: name.value.trim(), model: model.value.trim(), gtin: gtin.value.trim() || undefined },
      quantity: Number(qty.value),
      inputs: inputs.read(),
      produced_at: cnToRfc3339(at.value),
      serials: serials.checked,
    };
    if (!body.inputs.length) {
      fieldError($('.add-input', form), t('err.required'));
      return;
    }
    await busy(button, async () => {
      try {
        const r = await api('/batches', { method: 'POST', body });
        const cols = el('select', { id: 'label-columns', 'aria-label': t('fac.columns') }, [1, 2, 3, 4, 5, 6].map((c) => el('option', { value: c, selected: c === 3 }, c)));
        const print = el('button', { type: 'button', id: 'print-labels' }, t('fac.print'));
        print.addEventListener('click', () => printLabels(r.id, cols.value, print, result));
        const units = r.units || [];
        replace(result, el('div', { class: 'success', role: 'status', id: 'batch-created' },
          el('p', null, t('fac.created_batch', { code: r.batch_code, id: r.id, n: fmtNum(r.unit_count || units.length) })),
          el('div', { class: 'row' }, r.unit_count ? [el('label', { for: 'label-columns', class: 'check' }, t('fac.columns')), cols, print] : null,
            el('a', { class: 'button secondary', href: `/trace/${r.id}` }, t('fac.view_trace'))),
          units.length ? el('p', { class: 'small' }, units.slice(0, 3).map((u) => [el('a', { href: u.qr && u.qr.url ? new URL(u.qr.url, location.href).pathname : `/trace/${u.id}` }, u.serial), ' ']), units.length > 3 ? '…' : '') : null));
        code.value = '';
        await loadStock();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}

// ---- finished goods to resellers ---------------------------------------------------------------

async function loadGoodsShip() {
  const box = $('#goods-ship-body');
  if (!box) return;
  replace(box, loading());
  try {
    const [d, g, resellers] = await Promise.all([
      api(`/trace/downstream/${encodeURIComponent(st.party)}`, { query: { items: 'batches', limit: 500 } }),
      api(`/parties/${encodeURIComponent(st.party)}/goods`),
      api('/parties', { query: { role: 'distributor' } }).then((r) => r.parties || []).catch(() => []),
    ]);
    const held = new Map(g.goods.map((x) => [x.batch, x.available]));
    const batches = (d.page.items || []).filter((b) => b.manufacturer === st.party).map((b) => ({
      id: b.id, code: b.batch_code, product: b.product, available: held.has(b.id) ? held.get(b.id) : b.quantity,
    }));
    const codes = new Map(batches.map((b) => [b.id, b.code]));
    replace(box,
      goodsShipForm({ from: st.party, prefix: 'goods-ship', batches, resellers, onDone: loadGoodsShip }),
      el('h3', null, t('goods.shipments')),
      await shipmentsTable(g, codes));
  } catch (e) {
    replace(box, el('div', { class: 'notice' }, e.message_for_people ? e.message_for_people() : String(e)));
  }
}

// ---- page --------------------------------------------------------------------------------------

function section(id, titleKey, body) {
  return el('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, t(titleKey)), body);
}

async function start() {
  const me = await chrome(location.pathname.startsWith('/supplier') ? 'supplier' : 'manufacturer', { needKey: true, roles: ['supplier', 'manufacturer', 'operator'] });
  if (!me) return;
  st.me = me;
  const role = me.role === 'operator' ? (location.pathname.startsWith('/supplier') ? 'supplier' : 'manufacturer') : me.role;
  st.party = me.party ? me.party.id : new URLSearchParams(location.search).get('party') || '';
  const title = t(role === 'supplier' ? 'fac.title_s' : 'fac.title_m');
  document.title = `${title} · ${t('app.name')}`;
  if (!st.party) {
    // The operator acts for a party named in the address: ?party=pty_….
    const input = el('input', { type: 'text', id: 'acting-party', spellcheck: 'false', placeholder: 'pty_…' });
    const form = el('form', { class: 'card', novalidate: true }, field('f.producer', input), el('button', { type: 'submit' }, t('signin.trace_go')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.search = `?party=${encodeURIComponent(input.value.trim())}`;
    });
    replace(main, el('h1', null, title), form);
    return;
  }
  const party = me.party || (await partyInfo(st.party));
  replace(main, el('h1', null, title, party ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${party.name}`) : null), loading());
  await loadStock();
  try {
    st.makers = (await api('/parties', { query: { role: 'manufacturer' } })).parties || [];
  } catch {
    st.makers = [];
  }
  const sections = role === 'supplier'
    ? [section('new-lot', 'fac.new_lot', lotForm({ intermediate: false })), section('new-shipment', 'fac.new_ship', shipmentForm())]
    : [section('new-batch', 'fac.new_batch', batchForm()), section('new-inter', 'fac.new_inter', lotForm({ intermediate: true })), section('new-shipment', 'fac.new_ship', shipmentForm()),
      section('goods-ship', 'goods.ship', el('div', { id: 'goods-ship-body' }))];
  replace(main,
    el('h1', null, title, party ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${party.name}`) : null),
    el('div', { class: 'grid' },
      el('section', { class: 'card', id: 'stock', 'aria-labelledby': 'stock-h' }, el('div', { class: 'spread' }, el('h2', { id: 'stock-h' }, t('fac.stock')), el('button', { type: 'button', class: 'secondary small', onclick: () => loadStock() }, t('common.refresh'))), el('div', { id: 'stock-body' }, stockTable())),
      sections));
  if (role === 'manufacturer') loadGoodsShip();
}

document.addEventListener('langchange', () => start());
start();
