// Regulator dashboard (`/regulator`): non-compliant and suspect suppliers, their affected
// listings per platform (counts and pieces sold by province, then a paged list), actions on
// selected listings or in bulk, actions by status with overdue ones highlighted, assistance
// requests (协查) sent and received with their answers, the cases inbox with transfers, and
// failing-item statistics as charts.
import {
  t, tv, el, $, $$, replace, api, chrome, loading, errorBox, fmtTime, fmtNum, statusBadge, badge,
  download, cursorPager, progressBar, busy, partyInfo, rememberParty, field, clearErrors, showError,
  checkRequired, formError, fieldError, cnToRfc3339, ApiError, nowLocalCN, provincesText,
  safeUrl,
} from './app.js';
import { REQUEST_KINDS, requestsPanel, cooperationTable } from './requests.js';
import { s } from './graph.js';
import { witnessSection } from './logstate.js';

const main = $('main');
const ACTION_KINDS = ['delete', 'block', 'disconnect', 'suspend', 'terminate'];
const PAGE = 50;
const st = {
  me: null,
  suppliers: [],
  supplier: null, // selected supplier id
  platform: '',
  affected: null,
  selected: new Map(), // listing id -> listing
  cases: [],
  bureaus: new Map(), // id -> name
  platforms: [],
};
let reqPanel = null;

const nameOf = async (id) => {
  const p = await partyInfo(id);
  return p ? p.name : id;
};

// ---- suppliers ---------------------------------------------------------------------------------

function supplierRow(c) {
  const last = c.history.length ? c.history[c.history.length - 1] : null;
  return el(
    'tr',
    { 'data-supplier': c.party, class: st.supplier === c.party ? 'selected' : '' },
    el('td', null, el('strong', null, c.name), el('div', { class: 'small muted' }, c.city, ' · ', el('code', null, c.party))),
    el('td', null, statusBadge('compliance', c.status)),
    el('td', { class: 'small' }, c.evidence.length ? c.evidence.slice(-5).map((e) => el('div', { 'data-evidence': e }, el('code', null, e))) : '—'),
    el('td', { class: 'small' }, last ? [fmtTime(last.created_at, false), ' ', last.reason] : '—'),
    el(
      'td',
      null,
      el('div', { class: 'row' },
        el('button', { type: 'button', class: 'small show-affected', 'data-supplier': c.party, onclick: () => selectSupplier(c.party) }, t('reg.show_affected')),
        el('a', { class: 'button secondary small', href: `/trace/${c.party}?dir=down` }, t('reg.trace_down'))),
    ),
  );
}

function suppliersTable(list) {
  return el('div', { class: 'table-wrap' }, el('table', { id: 'suppliers-table' },
    el('thead', null, el('tr', null, [t('f.supplier'), t('common.status'), t('reg.evidence'), t('reg.last_decl'), ''].map((h) => el('th', null, h)))),
    el('tbody', null, list.map(supplierRow))));
}

async function loadSuppliers() {
  const box = $('#suppliers-body');
  replace(box, loading());
  try {
    const r = await api('/compliance/suppliers');
    st.suppliers = r.suppliers;
    for (const c of r.suppliers) rememberParty({ id: c.party, name: c.name, city: c.city, role: 'supplier' });
    const bad = r.suppliers.filter((c) => c.status === 'noncompliant');
    const sus = r.suppliers.filter((c) => c.status === 'suspect');
    const ok = r.suppliers.filter((c) => c.status === 'compliant');
    replace(
      box,
      el('div', { class: 'tiles' },
        el('div', { class: 'tile bad' }, el('div', { class: 'n', id: 'count-noncompliant' }, fmtNum(bad.length)), el('div', { class: 'l' }, tv('compliance', 'noncompliant'))),
        el('div', { class: 'tile warn' }, el('div', { class: 'n', id: 'count-suspect' }, fmtNum(sus.length)), el('div', { class: 'l' }, tv('compliance', 'suspect'))),
        el('div', { class: 'tile' }, el('div', { class: 'n' }, fmtNum(ok.length)), el('div', { class: 'l' }, tv('compliance', 'compliant')))),
      bad.length + sus.length ? suppliersTable([...bad, ...sus]) : el('p', { class: 'muted' }, t('reg.no_bad')),
      ok.length ? el('details', { style: 'margin-top:.75rem' }, el('summary', null, t('reg.other_suppliers', { n: ok.length })), suppliersTable(ok)) : null,
    );
    fillDeclareSelect();
    describeEvidence();
    if (!st.supplier && bad.length + sus.length) selectSupplier((bad[0] || sus[0]).party, false);
  } catch (e) {
    replace(box, errorBox(e));
  }
}

/** Replaces inspection ids in the evidence column by report numbers linking to the sample. */
async function describeEvidence() {
  const cells = $$('#suppliers-body [data-evidence]');
  const seen = new Map();
  for (const c of cells) {
    const id = c.dataset.evidence;
    if (!seen.has(id)) seen.set(id, api(`/inspections/${encodeURIComponent(id)}`).catch(() => null));
    const ins = await seen.get(id);
    if (ins) replace(c, el('a', { href: `/trace/${ins.subject}` }, ins.report_no), ' ', fmtTime(ins.sampled_at, false));
  }
}

function fillDeclareSelect() {
  const sel = $('#declare-party');
  if (!sel) return;
  const cur = sel.value || st.supplier || '';
  replace(sel, st.suppliers.map((c) => el('option', { value: c.party, selected: c.party === cur }, `${c.name} (${tv('compliance', c.status)})`)));
}

function declareForm() {
  const party = el('select', { id: 'declare-party', 'data-field': 'party' });
  const status = el('select', { id: 'declare-status', 'data-field': 'status' }, ['noncompliant', 'suspect', 'compliant'].map((v) => el('option', { value: v }, tv('compliance', v))));
  const reason = el('textarea', { id: 'declare-reason', 'data-field': 'reason', required: true, rows: 2 });
  const caseSel = el('select', { id: 'declare-case', 'data-field': 'case', class: 'case-select' });
  const button = el('button', { type: 'submit' }, t('reg.declare_button'));
  const form = el('form', { novalidate: true, id: 'declare-form' },
    el('div', { class: 'inline-fields' }, field('f.supplier', party), field('common.status', status), field('f.case', caseSel, { optional: true })),
    field('f.reason', reason), button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    await busy(button, async () => {
      try {
        await api(`/parties/${encodeURIComponent(party.value)}/compliance`, { method: 'POST', body: { status: status.value, reason: reason.value.trim(), case: caseSel.value || undefined } });
        reason.value = '';
        st.supplier = party.value;
        await loadSuppliers();
        await loadAffected();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return el('details', { class: 'card' }, el('summary', null, el('strong', null, t('reg.declare'))), form);
}

// ---- affected listings ---------------------------------------------------------------------

function selectSupplier(id, scroll = true) {
  st.supplier = id;
  st.platform = '';
  st.selected.clear();
  $$('#suppliers-body tr[data-supplier]').forEach((r) => r.classList.toggle('selected', r.dataset.supplier === id));
  loadAffected().then(() => {
    if (scroll) {
      const h = $('#affected h2');
      if (h) {
        h.scrollIntoView({ block: 'start' });
        h.focus();
      }
    }
  });
}

const affectedPager = cursorPager(async (cursor) => {
  const box = $('#affected-list');
  replace(box, loading());
  try {
    const r = await api('/compliance/affected-listings', { query: { supplier: st.supplier, platform: st.platform, limit: PAGE, cursor } });
    st.affected = r;
    replace(box, affectedTable(r));
    return { next: r.next_cursor };
  } catch (e) {
    replace(box, errorBox(e));
    return {};
  }
});

function platformName(id) {
  const g = st.platformGroups && st.platformGroups.find((p) => p.platform === id);
  return g ? g.name : id;
}

function affectedTable(r) {
  if (!r.items.length) return el('p', { class: 'muted' }, t('common.none'));
  const all = el('input', { type: 'checkbox', id: 'select-page', 'aria-label': t('reg.select_page') });
  const boxes = [];
  const rows = r.items.map((l) => {
    const cb = el('input', { type: 'checkbox', class: 'pick', value: l.id, 'aria-label': `${l.title} (${l.item_id})`, checked: st.selected.has(l.id) });
    cb.addEventListener('change', () => {
      if (cb.checked) st.selected.set(l.id, l);
      else st.selected.delete(l.id);
      syncSelection();
    });
    boxes.push(cb);
    return el(
      'tr',
      { 'data-listing': l.id, class: st.selected.has(l.id) ? 'selected' : '' },
      el('td', null, cb),
      el('td', null, el('a', { href: `/trace/${l.id}` }, l.title), el('div', { class: 'row-error', 'data-row-error': l.id })),
      el('td', null, platformName(l.platform)),
      el('td', null, l.shop),
      el('td', null, safeUrl(l.url) ? el('a', { href: safeUrl(l.url), rel: 'noopener noreferrer', target: '_blank' }, l.item_id) : l.item_id),
      el('td', { class: 'listing-status' }, statusBadge('listing', l.status)),
      el('td', { class: 'sold', 'data-sold': String(l.pieces_sold || 0) }, l.pieces_sold
        ? [el('strong', { class: 'sold-pieces' }, t('exp.pieces', { n: fmtNum(l.pieces_sold) })), el('div', { class: 'small muted sold-provinces' }, provincesText(l.sold_by_province))]
        : el('span', { class: 'muted small' }, '—')),
      el('td', null, st.me && st.me.party ? el('button', { type: 'button', class: 'secondary small ask-platform', 'data-listing': l.id, title: t('req.ask_label'), 'aria-label': `${t('req.ask_label')}: ${l.title}`, onclick: () => askAbout(l) }, t('req.ask')) : null),
    );
  });
  all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  all.addEventListener('change', () => {
    for (const b of boxes) {
      if (b.checked !== all.checked) {
        b.checked = all.checked;
        b.dispatchEvent(new Event('change'));
      }
    }
  });
  return el('div', { class: 'table-wrap' }, el('table', { id: 'affected-table' },
    el('thead', null, el('tr', null, el('th', null, all), [t('f.title'), t('f.platform'), t('f.shop'), t('f.item_id'), t('common.status'), t('exp.sold'), ''].map((h) => el('th', null, h)))),
    el('tbody', null, rows)));
}

function syncSelection() {
  const n = st.selected.size;
  const b = $('#issue-button');
  if (b) b.textContent = t('reg.issue_button', { n });
  const c = $('#selected-count');
  if (c) c.textContent = t('common.selected', { n });
  $$('#affected-table tr[data-listing]').forEach((r) => r.classList.toggle('selected', st.selected.has(r.dataset.listing)));
}

async function loadAffected() {
  const sec = $('#affected-body');
  if (!st.supplier) {
    replace(sec, el('p', { class: 'muted' }, t('reg.pick_supplier')));
    return;
  }
  const sup = st.suppliers.find((c) => c.party === st.supplier);
  const name = sup ? sup.name : await nameOf(st.supplier);
  replace(sec, loading());
  let head;
  try {
    // Counts per platform come with the first page (limit 1 keeps it cheap).
    head = await api('/compliance/affected-listings', { query: { supplier: st.supplier, limit: 1 } });
  } catch (e) {
    replace(sec, errorBox(e));
    return;
  }
  st.platformGroups = head.by_platform;
  const tile = (id, label, n, sold, sellers) =>
    el('button', { type: 'button', class: 'tile platform-tile', 'data-platform': id, 'aria-pressed': String(st.platform === id), onclick: () => { st.platform = id; $$('.platform-tile').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.platform === id))); affectedPager.reset(); } },
      el('div', { class: 'n' }, fmtNum(n)), el('div', { class: 'l' }, label),
      el('div', { class: 'small sold', 'data-sold': String(sold || 0) }, t('exp.sold_tile', { n: fmtNum(sold || 0) })),
      sellers ? el('div', { class: 'small muted' }, sellers.slice(0, 3).map((x) => el('div', null, `${x.name}: ${fmtNum(x.listings)}`)), sellers.length > 3 ? `… +${sellers.length - 3}` : null) : null);
  const csvButton = el('button', { type: 'button', class: 'secondary small', id: 'affected-csv' }, t('reg.export_csv'));
  csvButton.addEventListener('click', () => busy(csvButton, async () => {
    try {
      const blob = await api('/compliance/affected-listings', { query: { supplier: st.supplier, platform: st.platform, format: 'csv' }, as: 'blob', accept: 'text/csv' });
      download(blob, `affected-listings-${st.supplier}.csv`);
    } catch (e) {
      csvButton.after(errorBox(e));
    }
  }));
  replace(
    sec,
    el('p', null, t('reg.affected_of', { name })),
    el('div', { class: 'tiles', id: 'platform-tiles' },
      tile('', `${t('reg.total')}`, head.total, head.pieces_sold),
      head.by_platform.map((p) => tile(p.platform, p.name, p.listings, p.pieces_sold, p.sellers))),
    exposureTable(head),
    el('div', { class: 'spread' }, el('span', { id: 'selected-count', class: 'muted small', 'aria-live': 'polite' }, t('common.selected', { n: st.selected.size })), csvButton),
    el('div', { id: 'affected-list' }),
    affectedPager.el,
    actionForm(name, head.total),
  );
  await affectedPager.reset();
  syncSelection();
}

/** Pieces of the affected batches sold per platform, and where they were delivered. */
function exposureTable(head) {
  const all = {};
  for (const p of head.by_platform) {
    for (const [code, n] of Object.entries(p.sold_by_province || {})) all[code] = (all[code] || 0) + n;
  }
  const row = (attrs, name, listings, pieces, provinces) => el('tr', attrs,
    el('td', null, name), el('td', { class: 'num' }, fmtNum(listings)),
    el('td', { class: 'num sold-pieces' }, fmtNum(pieces || 0)),
    el('td', { class: 'small sold-provinces' }, provincesText(provinces) || t('exp.none')));
  return el('details', { class: 'exposure', open: head.pieces_sold > 0 },
    el('summary', null, el('strong', null, t('exp.title')), ' · ', el('span', { id: 'exposure-summary' }, t('exp.summary', { n: fmtNum(head.pieces_sold || 0) }))),
    el('div', { class: 'table-wrap' }, el('table', { id: 'exposure-table' },
      el('thead', null, el('tr', null, el('th', null, t('exp.platform')), el('th', { class: 'num' }, t('exp.listings')), el('th', { class: 'num' }, t('exp.pieces_h')), el('th', null, t('exp.provinces')))),
      el('tbody', null,
        head.by_platform.map((p) => row({ 'data-platform': p.platform }, p.name, p.listings, p.pieces_sold, p.sold_by_province)),
        row({ 'data-platform': '', class: 'total' }, t('exp.total'), head.total, head.pieces_sold, all)))));
}

/** Opens the request form for a listing's platform, asking who made what it sells. */
function askAbout(l) {
  const det = $('#request-new');
  if (!det) return;
  det.open = true;
  const to = $('#request-to');
  if (to && [...to.options].some((o) => o.value === l.platform)) to.value = l.platform;
  $('#request-kind').value = 'producer_tracing';
  $('#request-subjects').value = l.id;
  $('#request-question').value = t('req.default_question', { title: l.title });
  det.scrollIntoView({ block: 'start' });
  $('#request-question').focus();
}

function caseOptions(sel) {
  replace(sel, el('option', { value: '' }, '—'), st.cases.map((c) => el('option', { value: c.id }, `${c.title} (${c.id})`)));
}

function actionForm(supplierName, total) {
  const kind = el('select', { id: 'action-kind', 'data-field': 'kind' }, ACTION_KINDS.map((k) => el('option', { value: k }, tv('action', k))));
  const reason = el('textarea', { id: 'action-reason', 'data-field': 'reason', required: true, rows: 2 }, t('reg.affected_of', { name: supplierName }));
  reason.value = `${supplierName} ${tv('compliance', 'noncompliant')}`;
  const due = el('input', { type: 'datetime-local', id: 'action-due', 'data-field': 'due_at' });
  const caseSel = el('select', { id: 'action-case', 'data-field': 'case', class: 'case-select' });
  caseOptions(caseSel);
  const issue = el('button', { type: 'submit', id: 'issue-button' }, t('reg.issue_button', { n: st.selected.size }));
  const bulk = el('button', { type: 'button', class: 'danger', id: 'bulk-button' }, t('reg.bulk_button'));
  const result = el('div', { id: 'action-result', 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: 'action-form', class: 'card', style: 'margin-top:1rem' },
    el('h3', null, t('reg.issue')),
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('f.kind', kind), field('f.due_at', due, { optional: true, hint: t('common.time_hint') }), field('f.case', caseSel, { optional: true })),
    field('f.reason', reason),
    el('div', { class: 'row' }, issue, bulk),
    result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!st.selected.size) {
      formError(form, t('reg.select_first'));
      return;
    }
    if (!checkRequired(form)) return;
    const list = [...st.selected.values()];
    const bar = progressBar();
    result.appendChild(bar.el);
    let ok = 0;
    let failed = 0;
    await busy(issue, async () => {
      for (const [i, l] of list.entries()) {
        const rowErr = $(`[data-row-error="${l.id}"]`);
        try {
          const a = await api('/actions', { method: 'POST', body: { listing: l.id, kind: kind.value, reason: reason.value.trim(), case: caseSel.value || undefined, due_at: due.value ? cnToRfc3339(due.value) : undefined } });
          ok += 1;
          st.selected.delete(l.id);
          if (rowErr) replace(rowErr, badge(`${tv('action', a.kind)} · ${tv('astatus', a.status)} · ${a.id}`, 'info'));
        } catch (e) {
          // Field errors of the shared fields go next to them; the rest next to the row.
          if (e instanceof ApiError && ['reason', 'kind', 'due_at', 'case'].includes(e.field)) {
            showError(form, e);
            failed = list.length - ok;
            break;
          }
          failed += 1;
          if (rowErr) replace(rowErr, e instanceof ApiError ? e.detail || e.message_for_people() : String(e));
        }
        bar.set(i + 1, list.length);
      }
    });
    bar.remove();
    syncSelection();
    $$('#affected-table input.pick').forEach((cb) => {
      cb.checked = st.selected.has(cb.value);
    });
    if (ok) result.appendChild(el('div', { class: 'success', role: 'status' }, t('reg.issued', { n: ok })));
    if (failed) result.appendChild(el('div', { class: 'form-error', role: 'alert' }, t('reg.issue_failed', { n: failed })));
    actionsPager.reset();
  });
  bulk.addEventListener('click', () => {
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const yes = el('button', { type: 'button', class: 'danger', id: 'bulk-confirm' }, t('reg.bulk_button'));
    const no = el('button', { type: 'button', class: 'secondary', onclick: () => replace(result) }, t('common.cancel'));
    replace(result, el('div', { class: 'notice', role: 'alertdialog', 'aria-label': t('reg.bulk') }, el('p', null, t('reg.bulk_confirm', { n: fmtNum(total), kind: tv('action', kind.value) })), el('div', { class: 'row' }, yes, no)));
    yes.focus();
    yes.addEventListener('click', () => busy(yes, async () => {
      try {
        const r = await api('/actions/bulk', { method: 'POST', body: { supplier: st.supplier, kind: kind.value, reason: reason.value.trim(), case: caseSel.value || undefined, due_at: due.value ? cnToRfc3339(due.value) : undefined } });
        const per = await Promise.all(Object.entries(r.by_platform).map(async ([p, n]) => `${await nameOf(p)}: ${fmtNum(n)}`));
        replace(result, el('div', { class: 'success', role: 'status' }, t('reg.bulk_done', { created: fmtNum(r.created), skipped: fmtNum(r.skipped_pending) }), per.length ? el('div', { class: 'small' }, per.join(' · ')) : null));
        actionsPager.reset();
      } catch (e) {
        replace(result);
        showError(form, e);
      }
    }));
  });
  return form;
}

// ---- actions -----------------------------------------------------------------------------------

const actionsFilter = { status: 'pending', overdue: false, platform: '' };

const actionsPager = cursorPager(async (cursor) => {
  const box = $('#actions-list');
  if (!box) return {};
  replace(box, loading());
  try {
    const r = await api('/actions', { query: { status: actionsFilter.status, overdue: actionsFilter.overdue ? 'true' : '', platform: actionsFilter.platform, limit: 20, cursor } });
    const names = new Map(await Promise.all([...new Set(r.actions.map((a) => a.platform))].map(async (p) => [p, await nameOf(p)])));
    if (!r.actions.length) {
      replace(box, el('p', { class: 'muted' }, t('common.none')));
      return {};
    }
    replace(box, el('div', { class: 'table-wrap' }, el('table', { id: 'actions-table' },
      el('thead', null, el('tr', null, [t('common.id'), t('f.listing'), t('f.platform'), t('f.kind'), t('f.reason'), t('common.status'), t('f.due_at'), t('common.note')].map((h) => el('th', null, h)))),
      el('tbody', null, r.actions.map((a) => el('tr', { class: a.overdue ? 'overdue' : '', 'data-action': a.id },
        el('td', null, el('code', null, a.id), el('div', { class: 'small muted' }, fmtTime(a.created_at))),
        el('td', null, el('a', { href: `/trace/${a.listing}` }, a.listing)),
        el('td', null, names.get(a.platform)),
        el('td', null, tv('action', a.kind)),
        el('td', { class: 'small' }, a.reason),
        el('td', null, statusBadge('astatus', a.status), a.overdue ? [' ', badge(tv('astatus', 'overdue'), 'bad')] : null),
        el('td', { class: a.overdue ? 'row-error' : '' }, fmtTime(a.due_at)),
        el('td', { class: 'small' }, a.note || '', a.acked_at ? el('div', { class: 'muted' }, fmtTime(a.acked_at)) : null)))))));
    return { next: r.next_cursor };
  } catch (e) {
    replace(box, errorBox(e));
    return {};
  }
});

function actionsSection() {
  const tabs = el('div', { class: 'tabs', id: 'action-tabs' }, ['pending', 'done', 'rejected', ''].map((v) =>
    el('button', { type: 'button', 'data-status': v, 'aria-pressed': String(actionsFilter.status === v), onclick: () => {
      actionsFilter.status = v;
      $$('#action-tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.status === v)));
      actionsPager.reset();
    } }, v ? tv('astatus', v) : t('common.all'))));
  const platform = el('select', { id: 'actions-platform', 'aria-label': t('f.platform') }, el('option', { value: '' }, `${t('f.platform')}: ${t('common.all')}`),
    st.platforms.map((p) => el('option', { value: p.id, selected: p.id === actionsFilter.platform }, p.name)));
  platform.style.width = 'auto';
  platform.addEventListener('change', () => {
    actionsFilter.platform = platform.value;
    actionsPager.reset();
  });
  const overdue = el('input', { type: 'checkbox', id: 'overdue-only', checked: actionsFilter.overdue });
  overdue.addEventListener('change', () => {
    actionsFilter.overdue = overdue.checked;
    actionsPager.reset();
  });
  return el('section', { class: 'card', id: 'actions', 'aria-labelledby': 'actions-h' },
    el('div', { class: 'spread' }, el('h2', { id: 'actions-h' }, t('reg.actions')), el('div', { class: 'row' }, st.platforms.length ? platform : null, el('label', { class: 'check', for: 'overdue-only' }, overdue, t('reg.overdue_only')))),
    tabs, el('div', { id: 'actions-list' }), actionsPager.el);
}

// ---- assistance requests ---------------------------------------------------------------------

function requestForm() {
  const mine = st.me.party ? st.me.party.id : '';
  const to = el('select', { id: 'request-to', 'data-field': 'to' },
    st.platforms.length ? el('optgroup', { label: t('req.to_platforms') }, st.platforms.map((p) => el('option', { value: p.id }, p.name))) : null,
    el('optgroup', { label: t('req.to_bureaus') }, [...st.bureaus.entries()].filter(([b]) => b !== mine).map(([b, n]) => el('option', { value: b }, n))));
  const kind = el('select', { id: 'request-kind', 'data-field': 'kind' }, REQUEST_KINDS.map((k) => el('option', { value: k }, tv('rkind', k))));
  const subjects = el('input', { type: 'text', id: 'request-subjects', 'data-field': 'subjects', required: true, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', placeholder: 'lst_…, pty_…' });
  const useSelected = el('button', { type: 'button', class: 'secondary small', id: 'request-use-selected' }, t('req.use_selected'));
  useSelected.addEventListener('click', () => {
    const ids = [...st.selected.keys()];
    if (ids.length) subjects.value = ids.join(', ');
    else fieldError(subjects, t('reg.select_first'));
  });
  const question = el('textarea', { id: 'request-question', 'data-field': 'question', rows: 3, required: true });
  const due = el('input', { type: 'datetime-local', id: 'request-due', 'data-field': 'due_at', required: true, value: nowLocalCN(7 * 86400000) });
  const send = el('button', { type: 'submit', id: 'request-send' }, t('req.send'));
  const result = el('div', { id: 'request-result', 'aria-live': 'polite' });
  const subjectsField = field('req.subjects', subjects, { hint: t('req.subjects_hint') });
  subjectsField.appendChild(useSelected);
  const form = el('form', { novalidate: true, id: 'request-form' },
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('req.to', to), field('req.kind', kind), field('req.due', due, { hint: t('common.time_hint') })),
    subjectsField,
    field('req.question', question),
    send, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const body = {
      to: to.value,
      kind: kind.value,
      subjects: subjects.value.split(/[,\s，、]+/).map((x) => x.trim()).filter(Boolean),
      question: question.value.trim(),
      due_at: cnToRfc3339(due.value),
    };
    await busy(send, async () => {
      try {
        const r = await api('/requests', { method: 'POST', body });
        replace(result, el('div', { class: 'success', role: 'status' }, t('req.sent', { id: r.id })));
        subjects.value = '';
        question.value = '';
        if (reqPanel) await reqPanel.reload('outbox');
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return el('details', { id: 'request-new', class: 'request-new' }, el('summary', null, el('strong', null, t('req.new'))), form);
}

function requestsSection() {
  const head = el('h2', { id: 'requests-h' }, t('req.title'));
  if (!st.me.party) {
    reqPanel = null;
    return el('section', { class: 'card', id: 'requests', 'aria-labelledby': 'requests-h' }, head, el('p', { class: 'muted' }, t('req.need_party')));
  }
  reqPanel = requestsPanel(['outbox', 'inbox'], 'req');
  const coop = el('div', { id: 'coop-body' });
  const coopBox = el('details', { id: 'coop', style: 'margin-top:.75rem' }, el('summary', null, t('req.coop')), coop);
  coopBox.addEventListener('toggle', () => {
    if (coopBox.open) cooperationTable(coop);
  });
  return el('section', { class: 'card', id: 'requests', 'aria-labelledby': 'requests-h' }, head, requestForm(), reqPanel.el, coopBox);
}

// ---- cases -------------------------------------------------------------------------------------

const casesFilter = { mine: true };

async function loadBureaus() {
  try {
    const r = await api('/parties', { query: { role: 'regulator' } });
    const list = Array.isArray(r) ? r : r.parties || [];
    for (const p of list) {
      st.bureaus.set(p.id, p.name);
      rememberParty(p);
    }
  } catch {
    /* no directory listing: bureaus are learnt from cases, or typed as ids */
  }
  if (st.me && st.me.party && st.me.role === 'regulator') st.bureaus.set(st.me.party.id, st.me.party.name);
  try {
    const r = await api('/parties', { query: { role: 'platform' } });
    st.platforms = Array.isArray(r) ? r : r.parties || [];
    for (const p of st.platforms) rememberParty(p);
  } catch {
    st.platforms = [];
  }
}

function bureauPicker(id, fieldName, exclude) {
  const sel = el('select', { id, 'data-field': fieldName });
  const other = el('input', { type: 'text', id: `${id}-other`, class: 'hidden', placeholder: 'pty_…', spellcheck: 'false', 'aria-label': t('common.id') });
  const known = [...st.bureaus.entries()].filter(([b]) => b !== exclude);
  replace(sel, known.map(([b, n]) => el('option', { value: b }, n)), el('option', { value: '__other' }, `${t('common.id')}…`));
  const name = el('div', { class: 'small muted', 'aria-live': 'polite' });
  sel.addEventListener('change', () => {
    other.classList.toggle('hidden', sel.value !== '__other');
    if (sel.value === '__other') other.focus();
  });
  other.addEventListener('change', async () => {
    const p = await partyInfo(other.value.trim());
    name.textContent = p ? `${p.name} · ${tv('role', p.role)}` : t('common.unknown_party');
  });
  const value = () => (sel.value === '__other' ? other.value.trim() : sel.value);
  return { sel, other, name, value };
}

async function loadCases() {
  const box = $('#cases-list');
  replace(box, loading());
  try {
    const holder = casesFilter.mine && st.me.party ? st.me.party.id : '';
    const [r, all] = await Promise.all([api('/cases', { query: { holder } }), holder ? api('/cases') : null]);
    st.cases = (all || r).cases;
    for (const c of st.cases) {
      for (const b of [c.holder, c.opened_by, ...c.bureaus]) if (!st.bureaus.has(b)) st.bureaus.set(b, await nameOf(b));
    }
    $$('.case-select').forEach((sel) => {
      const v = sel.value;
      caseOptions(sel);
      sel.value = v;
    });
    if (!r.cases.length) {
      replace(box, el('p', { class: 'muted' }, t('reg.no_cases')));
      return;
    }
    replace(box, el('div', { class: 'table-wrap' }, el('table', { id: 'cases-table' },
      el('thead', null, el('tr', null, [t('reg.case_title'), t('common.status'), t('reg.holder'), t('reg.bureaus'), t('reg.timeline'), ''].map((h) => el('th', null, h)))),
      el('tbody', null, r.cases.map(caseRow)))));
  } catch (e) {
    replace(box, errorBox(e));
  }
}

function caseRow(c) {
  const last = c.timeline[c.timeline.length - 1];
  const open = el('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false', 'data-case': c.id }, t('trace.details'));
  const tr = el('tr', { 'data-case-row': c.id },
    el('td', null, el('strong', null, c.title), el('div', { class: 'small muted' }, tv('case.kind', c.kind), ' · ', el('code', null, c.id))),
    el('td', null, statusBadge('case.status', c.status)),
    el('td', null, st.bureaus.get(c.holder) || c.holder),
    el('td', { class: 'small' }, c.bureaus.map((b) => el('div', null, st.bureaus.get(b) || b))),
    el('td', { class: 'small' }, last ? [fmtTime(last.at), ' ', tv('case.step', last.step), last.note ? `：${last.note}` : ''] : ''),
    el('td', null, open));
  open.addEventListener('click', () => {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('case-detail')) {
      next.remove();
      open.setAttribute('aria-expanded', 'false');
      return;
    }
    open.setAttribute('aria-expanded', 'true');
    tr.after(el('tr', { class: 'case-detail' }, el('td', { colspan: 6 }, caseDetail(c))));
  });
  return tr;
}

// A consumer's complaint inside its case: the text, the contact (regulators only) and the
// photo, fetched with the key when asked for.
function complaintBox(c) {
  const k = c.complaint;
  const photoSlot = el('div', { class: 'complaint-photo' });
  if (k.photo) {
    const show = el('button', { type: 'button', class: 'secondary small' }, t('reg.complaint_photo'));
    show.addEventListener('click', async () => {
      await busy(show, async () => {
        try {
          const blob = await api(k.photo.replace(/^\/api\/v1/, ''), { as: 'blob', accept: 'image/*' });
          replace(photoSlot, el('img', { src: URL.createObjectURL(blob), alt: t('reg.complaint_photo'), class: 'complaint-img' }));
        } catch (e) {
          replace(photoSlot, errorBox(e));
        }
      });
    });
    photoSlot.append(show);
  }
  return el('div', { class: 'complaint', 'data-complaint': k.reference },
    el('h3', null, t('reg.complaint')),
    el('p', { class: 'complaint-text' }, k.text),
    el('dl', { class: 'kv small' },
      el('dt', null, t('reg.complaint_ref')), el('dd', null, el('code', null, k.reference)),
      el('dt', null, t('reg.complaint_contact')), el('dd', { class: 'complaint-contact' }, k.contact || t('common.none')),
      el('dt', null, t('reg.complaint_filed')), el('dd', null, fmtTime(k.filed_at))),
    photoSlot);
}

function caseDetail(c) {
  const timeline = el('ol', { class: 'small' }, c.timeline.map((e) => el('li', null, fmtTime(e.at), ' · ', tv('case.step', e.step),
    e.from ? ` ${st.bureaus.get(e.from) || e.from} →` : '', e.to ? ` ${st.bureaus.get(e.to) || e.to}` : '', e.status ? ` ${tv('case.status', e.status)}` : '',
    e.by ? el('span', { class: 'muted' }, ` (${st.bureaus.get(e.by) || e.by})`) : '', e.note ? el('div', null, e.note) : null)));
  const canAct = !st.me.party || st.me.party.id === c.holder;
  const picker = bureauPicker(`transfer-to-${c.id}`, 'to', c.holder);
  const tnote = el('textarea', { id: `transfer-note-${c.id}`, 'data-field': 'note', rows: 2 });
  const tbutton = el('button', { type: 'submit', class: 'transfer-button' }, t('reg.transfer_button'));
  const tform = el('form', { novalidate: true, class: 'transfer-form' },
    el('h3', null, t('reg.transfer')),
    el('div', { class: 'field' }, el('label', { for: picker.sel.id }, t('reg.transfer_to')), picker.sel, picker.other, picker.name),
    field('common.note', tnote, { optional: true }), tbutton);
  tform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(tform);
    await busy(tbutton, async () => {
      try {
        await api(`/cases/${encodeURIComponent(c.id)}/transfer`, { method: 'POST', body: { to: picker.value(), note: tnote.value.trim() } });
        await loadCases();
      } catch (e) {
        showError(tform, e);
      }
    });
  });
  const note = el('textarea', { id: `case-note-${c.id}`, 'data-field': 'note', rows: 2 });
  const status = el('select', { id: `case-status-${c.id}`, 'data-field': 'status' }, el('option', { value: '' }, '—'), ['open', 'investigating', 'closed'].map((v) => el('option', { value: v }, tv('case.status', v))));
  const nbutton = el('button', { type: 'submit', class: 'secondary' }, t('reg.note_button'));
  const nform = el('form', { novalidate: true }, el('h3', null, t('reg.add_note')), field('common.note', note), field('common.status', status, { optional: true }), nbutton);
  nform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(nform);
    await busy(nbutton, async () => {
      try {
        const body = { note: note.value.trim(), status: status.value || undefined };
        if (st.me.party && !c.bureaus.includes(st.me.party.id)) body.join = st.me.party.id;
        await api(`/cases/${encodeURIComponent(c.id)}/notes`, { method: 'POST', body });
        await loadCases();
      } catch (e) {
        showError(nform, e);
      }
    });
  });
  return el('div', { class: 'grid three' },
    el('div', null, c.complaint ? complaintBox(c) : null, el('h3', null, t('reg.timeline')), timeline, c.subjects.length ? el('p', { class: 'small' }, t('reg.subjects'), '：', c.subjects.map((x) => [el('a', { href: `/trace/${x}` }, x), ' '])) : null),
    canAct && c.status !== 'closed' ? tform : el('div'),
    nform);
}

function newCaseForm() {
  const title = el('input', { type: 'text', id: 'case-title', 'data-field': 'title', required: true });
  const kind = el('select', { id: 'case-kind', 'data-field': 'kind' }, ['case', 'clue', 'joint'].map((k) => el('option', { value: k }, tv('case.kind', k))));
  const subjects = el('input', { type: 'text', id: 'case-subjects', 'data-field': 'subjects', spellcheck: 'false' });
  const bureaus = el('input', { type: 'text', id: 'case-bureaus', 'data-field': 'bureaus', spellcheck: 'false' });
  const note = el('textarea', { id: 'case-note', 'data-field': 'note', rows: 2 });
  const opener = st.me.party ? null : bureauPicker('case-opened-by', 'opened_by');
  const button = el('button', { type: 'submit' }, t('reg.new_case_button'));
  const form = el('form', { novalidate: true, id: 'new-case-form' },
    el('div', { class: 'inline-fields' }, field('reg.case_title', title), field('f.kind', kind)),
    opener ? el('div', { class: 'field' }, el('label', { for: opener.sel.id }, t('reg.holder')), opener.sel, opener.other, opener.name) : null,
    el('div', { class: 'inline-fields' }, field('reg.case_subjects', subjects, { optional: true }), field('reg.case_bureaus', bureaus, { optional: true })),
    field('common.note', note, { optional: true }), button);
  const split = (v) => v.split(/[,\s，]+/).map((x) => x.trim()).filter(Boolean);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    await busy(button, async () => {
      try {
        await api('/cases', { method: 'POST', body: { title: title.value.trim(), opened_by: st.me.party ? st.me.party.id : opener.value(), kind: kind.value, subjects: split(subjects.value), bureaus: split(bureaus.value), note: note.value.trim() } });
        title.value = '';
        note.value = '';
        await loadCases();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const det = el('details', { style: 'margin-top:.75rem' }, el('summary', null, t('reg.new_case')), form);
  det.addEventListener('toggle', () => {
    if (det.open && !subjects.value && st.supplier) subjects.value = st.supplier;
  });
  return det;
}

function casesSection() {
  const tabs = el('div', { class: 'tabs', id: 'case-tabs' }, [['mine', 'reg.cases_mine'], ['all', 'reg.cases_all']].map(([v, k]) =>
    el('button', { type: 'button', 'data-v': v, 'aria-pressed': String(casesFilter.mine === (v === 'mine')), onclick: () => {
      casesFilter.mine = v === 'mine';
      $$('#case-tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.v === v)));
      loadCases();
    } }, t(k))));
  return el('section', { class: 'card', id: 'cases', 'aria-labelledby': 'cases-h' }, el('h2', { id: 'cases-h' }, t('reg.cases')), st.me.party ? tabs : null, el('div', { id: 'cases-list' }), newCaseForm());
}

// ---- statistics --------------------------------------------------------------------------------

const PALETTE = ['#b42318', '#0b5cad', '#8a5300', '#18794e', '#6b3fa0', '#4b5563', '#c2410c', '#0e7490'];

function barChart(items) {
  const max = Math.max(1, ...items.map((i) => i.tested));
  const rowH = 30;
  const left = 190;
  const w = 640;
  const h = items.length * rowH + 30;
  const svg = s('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-labelledby': 'chart-items-title', class: 'bars', 'font-family': 'system-ui, sans-serif' },
    s('title', { id: 'chart-items-title' }, t('reg.stats_items')));
  items.forEach((it, i) => {
    const y = 10 + i * rowH;
    const tw = ((w - left - 90) * it.tested) / max;
    const fw = ((w - left - 90) * it.failed) / max;
    svg.appendChild(s('text', { x: left - 8, y: y + 17, 'text-anchor': 'end', 'font-size': 13, fill: '#1d2430' }, it.item.length > 26 ? `${it.item.slice(0, 25)}…` : it.item));
    svg.appendChild(s('rect', { x: left, y: y + 4, width: Math.max(tw, 1), height: 18, fill: '#e6eaf0', rx: 3 }));
    svg.appendChild(s('rect', { x: left, y: y + 4, width: fw, height: 18, fill: '#b42318', rx: 3 }, s('title', null, `${it.item}: ${it.failed}/${it.tested}`)));
    svg.appendChild(s('text', { x: left + Math.max(tw, fw) + 6, y: y + 17, 'font-size': 12, fill: '#1d2430' }, `${it.failed}/${it.tested} · ${Math.round(it.failure_rate * 100)}%`));
  });
  return el('div', { class: 'chart', id: 'chart-items' }, svg);
}

function monthChart(byMonth, items) {
  const months = Object.keys(byMonth).sort();
  const names = items.filter((i) => i.failed > 0).map((i) => i.item);
  const totals = months.map((m) => Object.values(byMonth[m]).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const w = 640;
  const h = 240;
  const left = 36;
  const bottom = 30;
  const bw = Math.min(60, (w - left - 10) / Math.max(months.length, 1) - 12);
  const svg = s('svg', { viewBox: `0 0 ${w} ${h + 10 + Math.ceil(names.length / 3) * 18}`, role: 'img', 'aria-labelledby': 'chart-months-title', 'font-family': 'system-ui, sans-serif' },
    s('title', { id: 'chart-months-title' }, t('reg.stats_months')));
  const ticks = Math.min(4, max);
  for (let k = 0; k <= ticks; k += 1) {
    const v = Math.round((max * k) / ticks);
    const y = h - bottom - ((h - bottom - 10) * v) / max;
    svg.appendChild(s('line', { x1: left, x2: w, y1: y, y2: y, stroke: '#e6eaf0' }));
    svg.appendChild(s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5a6472' }, v));
  }
  months.forEach((m, i) => {
    const x = left + 10 + i * (bw + 12);
    let y = h - bottom;
    names.forEach((n, j) => {
      const c = byMonth[m][n] || 0;
      if (!c) return;
      const bh = ((h - bottom - 10) * c) / max;
      y -= bh;
      svg.appendChild(s('rect', { x, y, width: bw, height: bh, fill: PALETTE[j % PALETTE.length] }, s('title', null, `${m} ${n}: ${c}`)));
    });
    svg.appendChild(s('text', { x: x + bw / 2, y: h - bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#1d2430' }, m));
  });
  names.forEach((n, j) => {
    const x = left + (j % 3) * 200;
    const y = h + 4 + Math.floor(j / 3) * 18;
    svg.appendChild(s('rect', { x, y, width: 12, height: 12, fill: PALETTE[j % PALETTE.length] }));
    svg.appendChild(s('text', { x: x + 16, y: y + 10, 'font-size': 11, fill: '#1d2430' }, n.length > 28 ? `${n.slice(0, 27)}…` : n));
  });
  return el('div', { class: 'chart', id: 'chart-months' }, svg);
}

async function loadStats(form) {
  const box = $('#stats-body');
  replace(box, loading());
  const q = form ? { material: form.material.value, city: form.city.value.trim(), month: form.month.value } : {};
  try {
    const r = await api('/stats/failing-items', { query: q });
    if (!r.inspections) {
      replace(box, el('p', { class: 'muted' }, t('reg.stats_none')));
      return;
    }
    replace(box,
      el('p', { id: 'stats-summary' }, t('reg.stats_summary', { n: fmtNum(r.inspections), f: fmtNum(r.failed_inspections) })),
      el('div', { class: 'grid two' },
        el('div', null, el('h3', null, t('reg.stats_items')), barChart(r.items)),
        el('div', null, el('h3', null, t('reg.stats_months')), Object.keys(r.by_month).length ? monthChart(r.by_month, r.items) : el('p', { class: 'muted' }, t('common.none')))),
      el('details', null, el('summary', null, t('reg.stats_table')), el('div', { class: 'table-wrap' }, el('table', null,
        el('thead', null, el('tr', null, el('th', null, t('reg.stats_item')), el('th', { class: 'num' }, t('reg.stats_tested')), el('th', { class: 'num' }, t('reg.stats_failed')), el('th', { class: 'num' }, t('reg.stats_rate')))),
        el('tbody', null, r.items.map((i) => el('tr', null, el('td', null, i.item), el('td', { class: 'num' }, fmtNum(i.tested)), el('td', { class: 'num' }, fmtNum(i.failed)), el('td', { class: 'num' }, `${(i.failure_rate * 100).toFixed(1)}%`))))))));
  } catch (e) {
    if (form && e instanceof ApiError) {
      replace(box);
      showError(form, e);
    } else replace(box, errorBox(e));
  }
}

function statsSection() {
  const material = el('select', { name: 'material', id: 'stats-material', 'data-field': 'material' }, el('option', { value: '' }, t('common.all')),
    ['plywood', 'particleboard', 'mdf', 'osb', 'solid_wood', 'veneer', 'edge_banding', 'adhesive', 'other'].map((m) => el('option', { value: m }, tv('material', m))));
  const city = el('input', { type: 'text', name: 'city', id: 'stats-city', 'data-field': 'city', placeholder: '临沂' });
  const month = el('input', { type: 'month', name: 'month', id: 'stats-month', 'data-field': 'month' });
  const button = el('button', { type: 'submit', class: 'secondary' }, t('reg.apply'));
  const form = el('form', { novalidate: true, id: 'stats-form' }, el('div', { class: 'inline-fields' }, field('f.material', material), field('common.city', city, { optional: true }), field('reg.stats_month', month, { optional: true })), button);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(button, () => loadStats(form));
  });
  return el('section', { class: 'card', id: 'stats', 'aria-labelledby': 'stats-h' }, el('h2', { id: 'stats-h' }, t('reg.stats')), el('details', null, el('summary', null, t('reg.stats_filter')), form), el('div', { id: 'stats-body' }));
}

// ---- page --------------------------------------------------------------------------------------

async function start() {
  const me = await chrome('regulator', { needKey: true, roles: ['regulator', 'operator', 'lab'] });
  if (!me) return;
  st.me = me;
  document.title = `${t('reg.title')} · ${t('app.name')}`;
  if (me.role === 'lab') {
    replace(main, el('h1', null, t('reg.stats')), statsSection());
    await loadStats();
    return;
  }
  await loadBureaus();
  replace(
    main,
    el('h1', null, t('reg.title')),
    el('nav', { class: 'section-nav', 'aria-label': t('reg.title') },
      el('a', { href: '#suppliers' }, t('reg.suppliers')), el('a', { href: '#affected' }, t('reg.affected')),
      el('a', { href: '#actions' }, t('reg.actions')), el('a', { href: '#requests' }, t('req.title')), el('a', { href: '#cases' }, t('reg.cases')), el('a', { href: '#stats' }, t('reg.stats')),
      el('a', { href: '#witnesses' }, t('log.witnesses'))),
    el('section', { class: 'card', id: 'suppliers', 'aria-labelledby': 'suppliers-h' }, el('h2', { id: 'suppliers-h' }, t('reg.suppliers')), el('div', { id: 'suppliers-body' })),
    declareForm(),
    el('section', { class: 'card', id: 'affected', 'aria-labelledby': 'affected-h' }, el('h2', { id: 'affected-h', tabindex: '-1' }, t('reg.affected')), el('div', { id: 'affected-body' })),
    actionsSection(),
    requestsSection(),
    casesSection(),
    statsSection(),
    witnessSection(),
  );
  await loadCases();
  // Drawn again (a language switch), the page shows the supplier chosen before.
  const chosen = st.supplier;
  await loadSuppliers();
  if (!st.supplier || chosen) await loadAffected();
  actionsPager.reset();
  if (reqPanel) reqPanel.reload();
  loadStats();
}

document.addEventListener('langchange', () => {
  affectedPager.relabel();
  actionsPager.relabel();
  start();
});
start();
