// Seller review (`/review`, regulators): per platform, its sellers by
// qualification state (licence valid, expired or missing; entry check and re-checks current,
// due soon, overdue or never), the check coverage and the claim and trademark flags, as the
// Hangzhou bureau reviews Taobao; a CSV of the rows; the flags with their evidence. Then the
// sampling plans: a plan drafted with partner bureaus (owners, a quota each, categories),
// its candidates ranked by risk with their reasons, and each bureau's progress.
import {
  t, tv, el, $, $$, replace, api, chrome, loading, errorBox, fmtTime, fmtNum, busy,
  partyInfo, rememberParty, field, clearErrors, showError, checkRequired, download, formError,
} from './app.js';
import { flagsPanel, sellerCells, sellerHeads, chinaDay, kv } from './sellers.js';

const main = $('main');
const st = { me: null, platforms: [], bureaus: [], platform: '', problemsOnly: false, review: null };
let flags = null;

// ---- the review per platform --------------------------------------------------------------------

/** How much a seller's row needs looking at: licence, checks, flags. */
function concern(r) {
  return ({ expired: 4, missing: 3 }[r.licence_state] || 0) + ({ overdue: 3, never: 2, due_soon: 1 }[r.check_state] || 0) + 2 * (r.claim_flags + r.trademark_flags);
}

function hasProblem(r) {
  return r.licence_state !== 'valid' || r.check_state === 'overdue' || r.check_state === 'never' || r.claim_flags > 0 || r.trademark_flags > 0;
}

function tile(key, n, label, tone = '') {
  return el('div', { class: `tile ${tone}`, 'data-count': key }, el('div', { class: 'n' }, n), el('div', { class: 'l' }, label));
}

function platformBlock(p) {
  const rows = [...p.rows].sort((a, b) => concern(b) - concern(a) || a.name.localeCompare(b.name));
  const shown = st.problemsOnly ? rows.filter(hasProblem) : rows;
  const pct = `${fmtNum(Math.round(p.check_coverage * 1000) / 10)}%`;
  return el('article', { class: 'review-platform', 'data-platform': p.platform, 'aria-labelledby': `rp-${p.platform}` },
    el('h3', { id: `rp-${p.platform}` }, p.name, el('span', { class: 'muted small', style: 'font-weight:400' }, ` · ${t('rev.sellers_n', { n: fmtNum(p.sellers) })}`)),
    el('div', { class: 'tiles' },
      tile('licence_valid', fmtNum(p.licence_valid), tv('lic', 'valid')),
      tile('licence_expired', fmtNum(p.licence_expired), tv('lic', 'expired'), p.licence_expired ? 'bad' : ''),
      tile('licence_missing', fmtNum(p.licence_missing), tv('lic', 'missing'), p.licence_missing ? 'warn' : ''),
      tile('licence_unreviewed', fmtNum(p.licence_unreviewed), t('rev.unreviewed')),
      el('div', { class: `tile ${p.check_coverage < 1 ? 'warn' : ''}`, 'data-count': 'check_coverage' }, el('div', { class: 'n' }, pct), el('div', { class: 'l' }, t('rev.coverage')),
        el('div', { class: 'small muted' }, t('rev.coverage_parts', { current: fmtNum(p.checks_current), overdue: fmtNum(p.checks_overdue), never: fmtNum(p.checks_never) }))),
      tile('checks_overdue', fmtNum(p.checks_overdue), tv('chkstate', 'overdue'), p.checks_overdue ? 'bad' : ''),
      tile('claim_flags', fmtNum(p.claim_flags), t('rev.claim_flags'), p.claim_flags ? 'bad' : ''),
      tile('trademark_flags', fmtNum(p.trademark_flags), t('rev.trademark_flags'), p.trademark_flags ? 'bad' : '')),
    shown.length
      ? el('div', { class: 'table-wrap' }, el('table', { class: 'review-table' },
        el('thead', null, el('tr', null, sellerHeads().map((h) => el('th', null, h)))),
        el('tbody', null, shown.map((r) => el('tr', { 'data-seller': r.seller, class: hasProblem(r) && concern(r) >= 3 ? 'overdue' : '' }, sellerCells(r))))))
      : el('p', { class: 'muted' }, st.problemsOnly ? t('rev.no_problems') : t('rev.no_sellers')));
}

async function loadReview() {
  const box = $('#review-body');
  replace(box, loading());
  try {
    st.review = await api('/review', { query: { platform: st.platform } });
    drawReview();
  } catch (e) {
    replace(box, errorBox(e));
  }
}

function drawReview() {
  const box = $('#review-body');
  if (!st.review) return;
  replace(box, st.review.platforms.length ? st.review.platforms.map(platformBlock) : el('p', { class: 'muted' }, t('rev.no_sellers')));
}

function reviewSection() {
  const sel = el('select', { id: 'review-platform' }, el('option', { value: '' }, t('rev.all_platforms')),
    st.platforms.map((p) => el('option', { value: p.id, selected: p.id === st.platform }, p.name)));
  sel.addEventListener('change', () => {
    st.platform = sel.value;
    loadReview();
    if (flags) flags.load(st.platform);
  });
  const only = el('input', { type: 'checkbox', id: 'review-problems-only', checked: st.problemsOnly });
  only.addEventListener('change', () => {
    st.problemsOnly = only.checked;
    drawReview();
  });
  const csv = el('button', { type: 'button', class: 'secondary small', id: 'review-csv' }, t('rev.export_csv'));
  csv.addEventListener('click', () => busy(csv, async () => {
    try {
      const blob = await api('/review', { query: { platform: st.platform, format: 'csv' }, as: 'blob', accept: 'text/csv' });
      download(blob, `review-${st.platform || 'all'}.csv`);
    } catch (e) {
      csv.after(errorBox(e));
    }
  }));
  return el('section', { class: 'card', id: 'review', 'aria-labelledby': 'review-h' },
    el('div', { class: 'spread' }, el('h2', { id: 'review-h' }, t('rev.title')),
      el('button', { type: 'button', class: 'secondary small', onclick: () => loadReview() }, t('common.refresh'))),
    el('p', { class: 'small muted' }, t('rev.intro')),
    el('div', { class: 'inline-fields' }, field('f.platform', sel)),
    el('div', { class: 'spread' }, el('label', { class: 'check', for: only.id }, only, t('rev.problems_only')), csv),
    el('div', { id: 'review-body' }));
}

// ---- sampling plans -----------------------------------------------------------------------------

function planForm() {
  const mine = st.me.party ? st.me.party.id : '';
  const title = el('input', { type: 'text', id: 'plan-title', 'data-field': 'title', required: true });
  const from = el('input', { type: 'date', id: 'plan-from', 'data-field': 'period', required: true, value: chinaDay(0) });
  const to = el('input', { type: 'date', id: 'plan-to', required: true, value: chinaDay(90) });
  const categories = el('input', { type: 'text', id: 'plan-categories', 'data-field': 'categories', placeholder: '衣柜，书架' });
  const owners = st.bureaus.map((b, i) => {
    const cb = el('input', { type: 'checkbox', id: `plan-owner-${i}`, class: 'plan-owner', value: b.id, checked: b.id === mine, disabled: b.id === mine, 'data-field': `owners[${i}]` });
    const quota = el('input', { type: 'number', id: `plan-quota-${i}`, class: 'plan-quota', min: '1', step: '1', inputmode: 'numeric', value: '10', 'data-bureau': b.id, 'aria-label': t('plan.quota_of', { name: b.name }) });
    return { b, cb, quota, row: el('div', { class: 'plan-owner-row row', 'data-bureau': b.id }, el('label', { class: 'check', for: cb.id }, cb, b.name, b.id === mine ? el('span', { class: 'muted small' }, ` ${t('plan.drafting')}`) : null), quota) };
  });
  const ownersBox = el('fieldset', { id: 'plan-owners' }, el('legend', null, t('plan.owners')),
    el('p', { class: 'small muted' }, t('plan.owners_hint')), owners.map((o) => o.row));
  const button = el('button', { type: 'submit', id: 'plan-create' }, t('plan.create'));
  const result = el('div', { id: 'plan-result', 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: 'plan-form' },
    el('div', { class: 'form-error-slot' }),
    field('plan.title_f', title),
    el('div', { class: 'inline-fields' }, field('plan.from', from), field('plan.to', to), field('plan.categories', categories, { optional: true, hint: t('plan.categories_hint') })),
    ownersBox, button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    if (!checkRequired(form)) return;
    const chosen = owners.filter((o) => o.cb.checked);
    if (!chosen.length) {
      formError(form, t('plan.no_owner'));
      return;
    }
    const quota = {};
    for (const o of chosen) quota[o.b.id] = Number(o.quota.value);
    const body = {
      title: title.value.trim(),
      period: { from: from.value, to: to.value },
      owners: chosen.map((o) => o.b.id),
      quota,
      categories: categories.value.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean),
    };
    await busy(button, async () => {
      try {
        const p = await api('/plans', { method: 'POST', body });
        replace(result, el('div', { class: 'success', role: 'status' }, t('plan.created', { title: p.title, id: p.id })));
        title.value = '';
        await loadPlans();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return el('details', { id: 'plan-new', class: 'request-new' }, el('summary', null, el('strong', null, t('plan.new'))), form);
}

function progressTable(p) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'plan-progress' },
    el('thead', null, el('tr', null, [t('plan.bureau'), t('plan.quota'), t('plan.taken'), t('plan.passed'), t('plan.failed'), t('plan.progress')].map((h, i) => el('th', { class: i >= 1 && i <= 4 ? 'num' : '' }, h)))),
    el('tbody', null, p.progress.map((b) => el('tr', { 'data-bureau': b.bureau },
      el('td', null, b.name),
      el('td', { class: 'num quota' }, fmtNum(b.quota)),
      el('td', { class: 'num taken' }, fmtNum(b.taken)),
      el('td', { class: 'num passed' }, fmtNum(b.passed)),
      el('td', { class: `num failed ${b.failed ? 'row-error' : ''}` }, fmtNum(b.failed)),
      el('td', null, el('progress', { max: String(b.quota), value: String(Math.min(b.taken, b.quota)), 'aria-label': t('plan.progress_of', { name: b.name }) }),
        ' ', el('span', { class: 'small' }, `${fmtNum(Math.round((b.taken / b.quota) * 100))}%`)))))));
}

async function candidates(p, box) {
  replace(box, loading());
  try {
    const r = await api(`/plans/${encodeURIComponent(p.id)}/candidates`, { query: { limit: 20 } });
    if (!r.candidates.length) {
      replace(box, el('p', { class: 'muted' }, t('plan.no_candidates')));
      return;
    }
    const rows = await Promise.all(r.candidates.map(async (c, i) => {
      const [platform, seller] = await Promise.all([partyInfo(c.platform), partyInfo(c.seller)]);
      return el('tr', { 'data-listing': c.listing },
        el('td', { class: 'num' }, String(i + 1)),
        el('td', null, el('a', { href: `/trace/${c.listing}` }, c.title), c.product ? el('div', { class: 'small muted' }, c.product) : null),
        el('td', null, platform ? platform.name : c.platform, el('div', { class: 'small muted' }, seller ? seller.name : c.seller)),
        el('td', { class: 'num score' }, fmtNum(c.score)),
        el('td', { class: 'small reason' }, el('ul', { class: 'reasons' }, c.reason.split('; ').map((x) => el('li', null, x)))));
    }));
    replace(box,
      el('p', { class: 'small plan-formula' }, el('strong', null, t('plan.formula')), ' ', el('span', { class: 'formula' }, r.formula)),
      el('div', { class: 'table-wrap' }, el('table', { class: 'candidates-table' },
        el('thead', null, el('tr', null, ['#', t('f.listing'), `${t('f.platform')} / ${t('f.seller')}`, t('plan.score'), t('plan.reason')].map((h) => el('th', null, h)))),
        el('tbody', null, rows))));
  } catch (e) {
    replace(box, errorBox(e));
  }
}

async function planCard(p) {
  const owners = await Promise.all(p.owners.map(async (b) => (await partyInfo(b) || {}).name || b));
  const box = el('div', { class: 'plan-candidates-box' });
  const show = el('button', { type: 'button', class: 'secondary small plan-candidates', 'aria-expanded': 'false', 'data-plan': p.id }, t('plan.candidates'));
  show.addEventListener('click', () => {
    const opening = show.getAttribute('aria-expanded') !== 'true';
    show.setAttribute('aria-expanded', String(opening));
    if (opening) busy(show, () => candidates(p, box));
    else replace(box);
  });
  return el('article', { class: 'card plan-card', 'data-plan': p.id, 'aria-labelledby': `h-${p.id}` },
    el('div', { class: 'spread' }, el('h3', { id: `h-${p.id}` }, p.title), el('code', { class: 'small' }, p.id)),
    kv([
      [t('plan.period'), `${p.from} — ${p.to}`],
      [t('plan.categories'), p.categories.length ? p.categories.join('、') : t('plan.all_categories')],
      [t('plan.owners'), owners.join('、')],
      [t('f.created_at'), fmtTime(p.created_at)],
    ]),
    el('p', { class: 'small muted' }, t('plan.id_hint', { id: p.id })),
    el('h4', null, t('plan.progress_h')),
    progressTable(p),
    show, box);
}

async function loadPlans() {
  const box = $('#plans-list');
  replace(box, loading());
  try {
    const r = await api('/plans');
    if (!r.plans.length) {
      replace(box, el('p', { class: 'muted' }, t('plan.none')));
      return;
    }
    replace(box, ...(await Promise.all(r.plans.map(planCard))));
  } catch (e) {
    replace(box, errorBox(e));
  }
}

function plansSection() {
  return el('section', { class: 'card', id: 'plans', 'aria-labelledby': 'plans-h' },
    el('h2', { id: 'plans-h' }, t('plan.title')),
    el('p', { class: 'small muted' }, t('plan.intro')),
    planForm(),
    el('div', { id: 'plans-list' }));
}

// ---- page ----------------------------------------------------------------------------------------

async function directory(role) {
  try {
    const r = await api('/parties', { query: { role } });
    const list = Array.isArray(r) ? r : r.parties || [];
    list.forEach(rememberParty);
    return list;
  } catch {
    return [];
  }
}

/** The platform in the bureau's own city (Taobao for Hangzhou), if any. */
function homePlatform() {
  const asked = new URLSearchParams(location.search).get('platform');
  if (asked) return asked;
  const city = (st.me.party && st.me.party.city ? st.me.party.city : '').split(/\s+/)[0];
  const p = city ? st.platforms.find((x) => (x.city || '').split(/\s+/)[0] === city) : null;
  return p ? p.id : '';
}

async function start() {
  const me = await chrome('review', { needKey: true, roles: ['regulator', 'operator'] });
  if (!me) return;
  st.me = me;
  document.title = `${t('rev.page')} · ${t('app.name')}`;
  const [platforms, bureaus] = await Promise.all([directory('platform'), directory('regulator')]);
  st.platforms = platforms;
  st.bureaus = bureaus;
  if (!st.review) st.platform = homePlatform();
  flags = flagsPanel({ prefix: 'flags', showPlatform: true });
  replace(main,
    el('h1', null, t('rev.page'), me.party ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${me.party.name}`) : null),
    el('nav', { class: 'section-nav', 'aria-label': t('rev.page') },
      el('a', { href: '#review' }, t('rev.title')), el('a', { href: '#flags' }, t('flag.title')), el('a', { href: '#plans' }, t('plan.title'))),
    reviewSection(),
    el('section', { class: 'card', id: 'flags', 'aria-labelledby': 'flags-h' }, el('h2', { id: 'flags-h' }, t('flag.title')), flags.el),
    plansSection());
  $$('#review-platform').forEach((s) => {
    s.value = st.platform;
  });
  await Promise.all([loadReview(), flags.load(st.platform), loadPlans()]);
}

document.addEventListener('langchange', () => start());
start();
