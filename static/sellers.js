// Seller qualification and platform checks, shared by the review page (regulators), the
// platform page and the seller's own page: badges for licence, check and review states;
// the flags (licence expired, re-check overdue, no entry check, misleading claims,
// unauthorised trademarks) grouped with their evidence and a CSV export; a platform's
// seller-check queue with the form recording an entry check or a re-check, optionally with
// the licence seen in it.
import {
  t, tv, el, $$, replace, api, loading, errorBox, fmtTime, fmtNum, badge, busy, partyInfo,
  field, clearErrors, showError, checkRequired, nowLocalCN, cnToRfc3339, download, safeUrl,
} from './app.js';

export const FLAG_KINDS = ['misleading_claim', 'trademark_unauthorised', 'licence_expired', 'check_overdue', 'no_entry_check'];
/** Flags about the seller itself (repeated by the server on each of its listings). */
const SELLER_FLAGS = new Set(['licence_expired', 'check_overdue', 'no_entry_check']);
const LICENCE_TONE = { valid: 'ok', expired: 'bad', missing: 'warn' };
const CHECK_TONE = { current: 'ok', due_soon: 'info', overdue: 'bad', never: 'warn' };
const REVIEW_TONE = { confirmed: 'ok', rejected: 'bad', unreviewed: 'plain' };
const FLAG_TONE = { misleading_claim: 'bad', trademark_unauthorised: 'bad', licence_expired: 'bad', check_overdue: 'warn', no_entry_check: 'warn' };
const MAX_SHOWN = 100;

export function licenceBadge(state) {
  return el('span', { class: 'licence-state', 'data-state': state }, badge(tv('lic', state), LICENCE_TONE[state] || 'plain'));
}

export function checkBadge(state) {
  return el('span', { class: 'check-state', 'data-state': state }, badge(tv('chkstate', state), CHECK_TONE[state] || 'plain'));
}

export function reviewBadge(state) {
  if (!state) return null;
  return el('span', { class: 'review-state', 'data-state': state }, badge(tv('qrev', state), REVIEW_TONE[state] || 'plain'));
}

export function flagBadge(kind) {
  return badge(tv('flag', kind), FLAG_TONE[kind] || 'plain');
}

/** A day in China time as YYYY-MM-DD, `plusDays` from today. */
export function chinaDay(plusDays = 0) {
  return new Date(Date.now() + 8 * 3600 * 1000 + plusDays * 86400 * 1000).toISOString().slice(0, 10);
}

/** The seller's qualification page. */
export function qualificationHref(party) {
  return `/qualification?party=${encodeURIComponent(party)}`;
}

export function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '').map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

async function partyName(id) {
  const p = await partyInfo(id);
  return p ? p.name : id;
}

const listingCache = new Map();

function listingInfo(id) {
  if (!listingCache.has(id)) listingCache.set(id, api(`/listings/${encodeURIComponent(id)}`).catch(() => null));
  return listingCache.get(id);
}

// ---- flags -------------------------------------------------------------------------------------

/**
 * The flags as groups: a seller's own flags once per seller and platform with the listings
 * they reach, claim and trademark flags once per listing.
 */
export function groupFlags(flags) {
  const groups = [];
  const bySeller = new Map();
  for (const f of flags) {
    if (SELLER_FLAGS.has(f.kind)) {
      const k = `${f.kind}|${f.platform}|${f.party}`;
      let g = bySeller.get(k);
      if (!g) {
        g = { kind: f.kind, platform: f.platform, party: f.party, evidence: f.evidence, listings: [] };
        bySeller.set(k, g);
        groups.push(g);
      }
      if (f.listing) g.listings.push(f.listing);
    } else {
      groups.push({ kind: f.kind, platform: f.platform, party: f.party, evidence: f.evidence, listings: f.listing ? [f.listing] : [] });
    }
  }
  groups.sort((a, b) => FLAG_KINDS.indexOf(a.kind) - FLAG_KINDS.indexOf(b.kind));
  return groups;
}

/** The server's evidence text with its RFC 3339 times shown in China time. */
export function chinaTimes(text) {
  return String(text).replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (m) => fmtTime(m));
}

function evidenceItem(e) {
  const link = e.id && e.kind === 'lot' ? el('a', { href: `/trace/${e.id}`, class: 'evidence-link' }, t('flag.open_lot')) : null;
  return el('li', { 'data-evidence': e.kind, 'data-id': e.id || null }, badge(tv('evk', e.kind), 'plain'), ' ', el('span', { class: 'evidence-detail' }, chinaTimes(e.detail)), link ? [' ', link] : null);
}

async function flagItem(g, showPlatform) {
  const claim = !SELLER_FLAGS.has(g.kind);
  const [seller, platform, listing] = await Promise.all([
    partyName(g.party),
    showPlatform ? partyName(g.platform) : null,
    claim && g.listings[0] ? listingInfo(g.listings[0]) : null,
  ]);
  const where = claim && g.listings[0]
    ? el('div', { class: 'flag-listing' }, t('flag.listing'), '：', el('a', { href: `/trace/${g.listings[0]}` }, listing ? listing.title : g.listings[0]),
      listing ? el('span', { class: 'small muted' }, ' · ', listing.shop, ' · ', safeUrl(listing.url) ? el('a', { href: safeUrl(listing.url), rel: 'noopener noreferrer', target: '_blank' }, listing.item_id) : listing.item_id) : null)
    : el('div', { class: 'small muted flag-reach' }, t('flag.reach', { n: fmtNum(g.listings.length) }));
  return el('li', { class: `flag card`, 'data-kind': g.kind, 'data-party': g.party, 'data-platform': g.platform, 'data-listing': claim ? g.listings[0] || null : null },
    el('div', { class: 'row' }, flagBadge(g.kind), el('a', { href: qualificationHref(g.party), class: 'flag-seller' }, el('strong', null, seller)),
      platform ? el('span', { class: 'small muted flag-platform' }, platform) : null),
    where,
    el('h4', null, t('flag.evidence')),
    el('ul', { class: 'flag-evidence small' }, g.evidence.map(evidenceItem)));
}

/**
 * The flags of one platform (or every platform, for a regulator) with a tab per kind and a
 * CSV export of what the server holds. `prefix` names the element ids.
 */
export function flagsPanel({ prefix = 'flags', showPlatform = true } = {}) {
  const st = { platform: '', kind: '', groups: [] };
  const tabs = el('div', { class: 'tabs', id: `${prefix}-tabs`, role: 'group', 'aria-label': t('flag.kinds') });
  const list = el('div', { id: `${prefix}-list`, 'aria-live': 'polite' });
  const summary = el('p', { id: `${prefix}-summary`, class: 'small' });
  const csv = el('button', { type: 'button', class: 'secondary small', id: `${prefix}-csv` }, t('rev.export_csv'));
  csv.addEventListener('click', () => busy(csv, async () => {
    try {
      const blob = await api('/flags', { query: { platform: st.platform, kind: st.kind, format: 'csv' }, as: 'blob', accept: 'text/csv' });
      download(blob, `flags-${st.platform || 'all'}${st.kind ? `-${st.kind}` : ''}.csv`);
    } catch (e) {
      csv.after(errorBox(e));
    }
  }));

  async function drawList() {
    const shown = st.groups.filter((g) => !st.kind || g.kind === st.kind);
    if (!shown.length) {
      replace(list, el('p', { class: 'muted', id: `${prefix}-none` }, t('flag.none')));
      return;
    }
    const items = await Promise.all(shown.slice(0, MAX_SHOWN).map((g) => flagItem(g, showPlatform)));
    replace(list, el('ul', { class: 'flag-list' }, items),
      shown.length > MAX_SHOWN ? el('p', { class: 'small muted' }, t('flag.more', { shown: MAX_SHOWN, n: fmtNum(shown.length) })) : null);
  }

  function drawTabs() {
    const count = (k) => st.groups.filter((g) => !k || g.kind === k).length;
    replace(tabs, ['', ...FLAG_KINDS].map((k) => el('button', {
      type: 'button', 'data-kind': k, 'aria-pressed': String(st.kind === k),
      onclick: () => {
        st.kind = k;
        $$('button', tabs).forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.kind === k)));
        drawList();
      },
    }, k ? tv('flag', k) : t('common.all'), ' ', el('span', { class: 'count' }, `(${fmtNum(count(k))})`))));
  }

  async function load(platform = st.platform) {
    st.platform = platform || '';
    replace(list, loading());
    try {
      const r = await api('/flags', { query: { platform: st.platform } });
      st.groups = groupFlags(r.flags);
      const listings = new Set(r.flags.filter((f) => f.listing).map((f) => f.listing)).size;
      summary.textContent = t('flag.summary', { n: fmtNum(st.groups.length), listings: fmtNum(listings) });
      drawTabs();
      await drawList();
    } catch (e) {
      replace(list, errorBox(e));
    }
  }

  return { el: el('div', { class: 'flags-panel' }, el('p', { class: 'small muted' }, t('flag.intro')), summary, el('div', { class: 'spread' }, tabs, csv), list), load };
}

// ---- a platform's seller-check queue -----------------------------------------------------------

function licenceCell(r) {
  return [licenceBadge(r.licence_state), r.licence_valid_to ? el('div', { class: 'small muted' }, t('lic.valid_to', { day: r.licence_valid_to })) : null,
    r.licence_review ? el('div', null, reviewBadge(r.licence_review)) : null];
}

function checkCell(r) {
  return [checkBadge(r.check_state), r.last_check ? el('div', { class: 'small muted last-check' }, t('chk.last', { at: fmtTime(r.last_check) })) : null,
    r.next_due ? el('div', { class: `small next-due ${r.check_state === 'overdue' ? 'row-error' : 'muted'}` }, t('chk.next_due_on', { day: r.next_due })) : null];
}

/** The seller columns shared by the review table and the check queue. */
export function sellerCells(r) {
  return [
    el('td', null, el('a', { href: qualificationHref(r.seller), class: 'seller-name' }, el('strong', null, r.name)), el('div', { class: 'small muted' }, el('code', null, r.uscc))),
    el('td', { class: 'licence-cell' }, licenceCell(r)),
    el('td', { class: 'check-cell' }, checkCell(r)),
    el('td', { class: 'num active-listings' }, fmtNum(r.active_listings)),
    el('td', { class: 'num claim-flags', 'data-n': String(r.claim_flags) }, r.claim_flags ? el('strong', { class: 'row-error' }, fmtNum(r.claim_flags)) : '0'),
    el('td', { class: 'num trademark-flags', 'data-n': String(r.trademark_flags) }, r.trademark_flags ? el('strong', { class: 'row-error' }, fmtNum(r.trademark_flags)) : '0'),
  ];
}

export function sellerHeads() {
  return [t('f.seller'), t('lic.title'), t('chk.state'), t('rev.active_listings'), t('rev.claim_flags'), t('rev.trademark_flags')];
}

/** The form recording an entry check or a re-check of one seller (with the licence seen). */
function checkForm(r, onDone) {
  const p = `chk-${r.seller}`;
  const kind = el('select', { id: `${p}-kind`, class: 'check-kind', 'data-field': 'kind' }, ['entry', 'recheck'].map((k) => el('option', { value: k, selected: k === (r.check_state === 'never' ? 'entry' : 'recheck') }, tv('chkkind', k))));
  const result = el('select', { id: `${p}-result`, class: 'check-result', 'data-field': 'result' }, ['pass', 'fail'].map((k) => el('option', { value: k }, tv('chkresult', k))));
  const at = el('input', { type: 'datetime-local', id: `${p}-at`, class: 'check-at', 'data-field': 'checked_at', required: true, value: nowLocalCN() });
  const due = el('input', { type: 'date', id: `${p}-due`, class: 'check-due', 'data-field': 'next_due', required: true, value: chinaDay(180) });
  const note = el('textarea', { id: `${p}-note`, class: 'check-note', 'data-field': 'note', rows: 2, required: true });
  const withLicence = el('input', { type: 'checkbox', id: `${p}-lic-on`, class: 'check-licence-on' });
  const uscc = el('input', { type: 'text', id: `${p}-uscc`, class: 'lic-uscc', 'data-field': 'uscc licence.uscc', required: true, value: r.uscc, spellcheck: 'false', autocapitalize: 'characters' });
  const name = el('input', { type: 'text', id: `${p}-name`, class: 'lic-name', 'data-field': 'name licence.name', required: true, value: r.name });
  const scope = el('textarea', { id: `${p}-scope`, class: 'lic-scope', 'data-field': 'scope licence.scope', rows: 2, required: true });
  const from = el('input', { type: 'date', id: `${p}-from`, class: 'lic-from', 'data-field': 'valid_from licence.valid_from', required: true });
  const to = el('input', { type: 'date', id: `${p}-to`, class: 'lic-to', 'data-field': 'valid_to licence.valid_to', required: true });
  const licence = el('fieldset', { class: 'check-licence hidden' }, el('legend', null, t('chk.licence_seen')),
    el('div', { class: 'inline-fields' }, field('f.uscc', uscc), field('lic.name', name)),
    field('lic.scope', scope),
    el('div', { class: 'inline-fields' }, field('lic.valid_from', from), field('lic.valid_to_h', to)));
  withLicence.addEventListener('change', () => licence.classList.toggle('hidden', !withLicence.checked));
  const submit = el('button', { type: 'submit', class: 'check-submit' }, t('chk.record'));
  const form = el('form', { novalidate: true, class: 'check-form', 'data-seller': r.seller },
    el('h3', null, t('chk.form_title', { name: r.name })),
    el('div', { class: 'form-error-slot' }),
    el('div', { class: 'inline-fields' }, field('chk.kind', kind), field('chk.result', result),
      field('chk.checked_at', at, { hint: t('common.time_hint') }), field('chk.next_due', due, { hint: t('chk.next_due_hint') })),
    field('chk.note', note, { hint: t('chk.note_hint') }),
    el('label', { class: 'check', for: withLicence.id }, withLicence, t('chk.with_licence')),
    licence,
    submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    const body = {
      kind: kind.value,
      result: result.value,
      checked_at: cnToRfc3339(at.value),
      next_due: due.value,
      note: note.value.trim(),
    };
    if (withLicence.checked) {
      body.licence = { uscc: uscc.value.trim(), name: name.value.trim(), scope: scope.value.trim(), valid_from: from.value, valid_to: to.value };
    }
    await busy(submit, async () => {
      try {
        const c = await api(`/parties/${encodeURIComponent(r.seller)}/checks`, { method: 'POST', body });
        await onDone(c);
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}

/** A platform's sellers to check (never checked and overdue first), each with its form. */
export function checkQueue({ onChange } = {}) {
  const box = el('div', { id: 'check-queue' });
  const summary = el('p', { id: 'check-summary', class: 'small' });
  const result = el('div', { id: 'check-result', 'aria-live': 'polite' });
  let rows = [];

  function queueRow(r) {
    const open = el('button', { type: 'button', class: 'small check-open', 'aria-expanded': 'false', 'data-seller': r.seller }, tv('chkkind', r.check_state === 'never' ? 'entry' : 'recheck'));
    const tr = el('tr', { 'data-seller': r.seller, class: r.check_state === 'overdue' || r.licence_state === 'expired' ? 'overdue' : '' }, sellerCells(r), el('td', null, open));
    open.addEventListener('click', () => {
      const next = tr.nextElementSibling;
      if (next && next.classList.contains('check-form-row')) {
        next.remove();
        open.setAttribute('aria-expanded', 'false');
        return;
      }
      open.setAttribute('aria-expanded', 'true');
      const form = checkForm(r, async (c) => {
        replace(result, el('div', { class: 'success', role: 'status', id: 'check-done' },
          t('chk.recorded', { kind: tv('chkkind', c.kind), name: r.name, id: c.id, at: fmtTime(c.checked_at), due: c.next_due }),
          c.licence ? el('div', { class: 'small' }, t('chk.recorded_licence', { id: c.licence.id, state: tv('lic', c.licence.state), to: c.licence.valid_to })) : null));
        await load();
        if (onChange) await onChange();
      });
      tr.after(el('tr', { class: 'check-form-row' }, el('td', { colspan: 7 }, form)));
      const first = form.querySelector('select, input, textarea');
      if (first) first.focus();
    });
    return tr;
  }

  async function load() {
    replace(box, loading());
    try {
      rows = (await api('/checks/queue')).sellers;
      const n = (s) => rows.filter((r) => r.check_state === s).length;
      summary.textContent = t('chk.summary', { n: fmtNum(rows.length), never: fmtNum(n('never')), overdue: fmtNum(n('overdue')), soon: fmtNum(n('due_soon')) });
      if (!rows.length) {
        replace(box, el('p', { class: 'muted', id: 'check-queue-empty' }, t('chk.none')));
        return;
      }
      replace(box, el('div', { class: 'table-wrap' }, el('table', { id: 'check-queue-table' },
        el('thead', null, el('tr', null, [...sellerHeads(), ''].map((h) => el('th', null, h)))),
        el('tbody', null, rows.map(queueRow)))));
    } catch (e) {
      replace(box, errorBox(e));
    }
  }

  return { el: el('div', null, el('p', { class: 'small muted' }, t('chk.intro')), summary, result, box), load };
}
