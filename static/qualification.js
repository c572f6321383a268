// A seller's qualification page (`/qualification`, for makers and resellers;
// regulators and the seller's platforms open it with ?party=): its business licence, the
// trademarks it holds or may use, its certificates, the latest check by each platform, every
// qualification entered with its review; its quality record with the score and the formula
// behind it. The seller enters its licence, marks and certificates here; a regulator
// confirms or rejects each.
import {
  t, tv, el, $, replace, api, chrome, loading, errorBox, fmtTime, fmtNum, badge, busy,
  partyInfo, field, clearErrors, showError, checkRequired,
} from './app.js';
import { licenceBadge, reviewBadge, kv, chinaDay } from './sellers.js';

const main = $('main');
const st = { me: null, party: null, info: null, data: null };

function section(id, titleKey, ...body) {
  return el('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, t(titleKey)), ...body);
}

async function nameOf(id) {
  if (!id) return '';
  const p = await partyInfo(id);
  return p ? p.name : id;
}

function stateBadge(q) {
  return licenceBadge(q.state);
}

// ---- what is on record ----------------------------------------------------------------------------

async function licenceBox(d) {
  const l = d.licence;
  if (!l) {
    return el('div', { id: 'licence-body' }, el('p', null, licenceBadge('missing')), el('p', { class: 'muted' }, t('qual.no_licence')));
  }
  return el('div', { id: 'licence-body', 'data-qualification': l.id },
    el('p', { class: 'row' }, licenceBadge(d.licence_state), reviewBadge(l.review_state)),
    kv([
      [t('lic.name'), l.name],
      [t('f.uscc'), el('code', null, l.uscc)],
      [t('lic.scope'), l.scope],
      [t('lic.validity'), el('span', { class: 'licence-validity' }, `${l.valid_from} — ${l.valid_to}`)],
      [t('qual.entered_by'), await nameOf(l.entered_by)],
      [t('f.created_at'), fmtTime(l.created_at)],
      l.review ? [t('qual.review'), [tv('qrev', l.review.result), ' · ', await nameOf(l.review.by), ' · ', fmtTime(l.review.at), l.review.note ? el('div', { class: 'small' }, l.review.note) : null]] : [t('qual.review'), ''],
    ]));
}

async function trademarksTable(d) {
  if (!d.trademarks.length) return el('p', { class: 'muted', id: 'trademarks-none' }, t('qual.no_trademarks'));
  const rows = await Promise.all(d.trademarks.map(async (m) => el('tr', { 'data-qualification': m.id },
    el('td', null, el('strong', null, m.mark), el('div', { class: 'small muted' }, t('qual.class', { n: m.class }))),
    el('td', null, el('code', null, m.reg_no)),
    el('td', null, m.party === st.party ? t('qual.held') : [t('qual.authorised_by'), ' ', await nameOf(m.party)],
      m.party === st.party && m.authorised.length ? el('div', { class: 'small muted' }, t('qual.members', { n: fmtNum(m.authorised.length) })) : null),
    el('td', null, m.valid_to),
    el('td', null, stateBadge(m), ' ', reviewBadge(m.review_state)))));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'trademarks-table' },
    el('thead', null, el('tr', null, [t('tm.mark'), t('tm.reg_no'), t('qual.right'), t('lic.valid_to_h'), t('common.status')].map((h) => el('th', null, h)))),
    el('tbody', null, rows)));
}

function certificatesTable(d) {
  if (!d.certificates.length) return el('p', { class: 'muted', id: 'certificates-none' }, t('qual.no_certificates'));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'certificates-table' },
    el('thead', null, el('tr', null, [t('cert.kind'), t('cert.number'), t('cert.body'), t('lic.valid_to_h'), t('common.status')].map((h) => el('th', null, h)))),
    el('tbody', null, d.certificates.map((c) => el('tr', { 'data-qualification': c.id },
      el('td', null, c.certificate), el('td', null, el('code', null, c.number)), el('td', null, c.body), el('td', null, c.valid_to),
      el('td', null, stateBadge(c), ' ', reviewBadge(c.review_state)))))));
}

async function checksTable(d) {
  if (!d.checks.length) return el('p', { class: 'muted', id: 'checks-none' }, t('qual.no_checks'));
  const today = chinaDay(0);
  const rows = await Promise.all(d.checks.map(async (c) => {
    const overdue = c.next_due < today;
    return el('tr', { 'data-check': c.id, 'data-platform': c.platform, class: overdue ? 'overdue' : '' },
      el('td', null, await nameOf(c.platform)),
      el('td', null, tv('chkkind', c.kind), ' ', badge(tv('chkresult', c.result), c.result === 'pass' ? 'ok' : 'bad')),
      el('td', { class: 'checked-at' }, fmtTime(c.checked_at)),
      el('td', { class: overdue ? 'row-error' : '' }, c.next_due, overdue ? [' ', badge(tv('chkstate', 'overdue'), 'bad')] : null),
      el('td', { class: 'small' }, c.note));
  }));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'checks-table' },
    el('thead', null, el('tr', null, [t('f.platform'), t('chk.kind'), t('chk.checked_at'), t('chk.next_due'), t('chk.note')].map((h) => el('th', null, h)))),
    el('tbody', null, rows)));
}

function describe(q) {
  if (q.kind === 'licence') return [q.name, ' · ', el('code', null, q.uscc), el('div', { class: 'small muted' }, `${q.valid_from} — ${q.valid_to}`)];
  if (q.kind === 'trademark') return [q.mark, ' · ', el('code', null, q.reg_no), el('div', { class: 'small muted' }, t('lic.valid_to', { day: q.valid_to }))];
  return [q.certificate, ' · ', el('code', null, q.number), el('div', { class: 'small muted' }, q.body, ' · ', t('lic.valid_to', { day: q.valid_to }))];
}

/** A regulator confirms or rejects one qualification, with a note. */
function reviewForm(q) {
  const note = el('input', { type: 'text', id: `review-note-${q.id}`, class: 'review-note', 'data-field': 'note', required: true });
  const ok = el('button', { type: 'submit', class: 'ok small', value: 'confirmed' }, t('qual.confirm'));
  const no = el('button', { type: 'submit', class: 'danger small', value: 'rejected' }, t('qual.reject'));
  const form = el('form', { novalidate: true, class: 'review-form', 'data-qualification': q.id }, field('qual.review_note', note), el('div', { class: 'row' }, ok, no));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    const result = ev.submitter && ev.submitter.value === 'rejected' ? 'rejected' : 'confirmed';
    await busy(ev.submitter || ok, async () => {
      try {
        await api(`/qualifications/${encodeURIComponent(q.id)}/review`, { method: 'POST', body: { result, note: note.value.trim() } });
        await load();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}

async function historyTable(d) {
  if (!d.history.length) return el('p', { class: 'muted' }, t('common.none'));
  const regulator = st.me.role === 'regulator';
  const rows = await Promise.all(d.history.map(async (q) => el('tr', { 'data-qualification': q.id },
    el('td', null, tv('qkind', q.kind)),
    el('td', null, describe(q)),
    el('td', null, stateBadge(q), ' ', reviewBadge(q.review_state), q.review && q.review.note ? el('div', { class: 'small muted' }, q.review.note) : null),
    el('td', { class: 'small' }, await nameOf(q.entered_by), el('div', { class: 'muted' }, fmtTime(q.created_at))),
    regulator ? el('td', null, reviewForm(q)) : null)));
  return el('div', { class: 'table-wrap' }, el('table', { id: 'history-table' },
    el('thead', null, el('tr', null, [t('qual.kind'), t('qual.what'), t('common.status'), t('qual.entered_by'), regulator ? t('qual.review') : null].filter((h) => h !== null).map((h) => el('th', null, h)))),
    el('tbody', null, rows)));
}

// ---- the quality record ---------------------------------------------------------------------------

function qualityBox(q) {
  const pct = q.pass_rate === null || q.pass_rate === undefined ? t('qual.no_inspections') : `${fmtNum(Math.round(q.pass_rate * 1000) / 10)}%`;
  return el('div', { id: 'quality-body' },
    el('div', { class: 'tiles' },
      el('div', { class: `tile ${q.score < 60 ? 'bad' : q.score < 85 ? 'warn' : ''}` }, el('div', { class: 'n', id: 'quality-score' }, fmtNum(q.score)), el('div', { class: 'l' }, t('qual.score'))),
      el('div', { class: 'tile' }, el('div', { class: 'n' }, pct), el('div', { class: 'l' }, t('qual.pass_rate')))),
    kv([
      [t('qual.spot_checks'), t('qual.passed_of', { passed: fmtNum(q.spot_checks_passed), n: fmtNum(q.spot_checks) })],
      [t('qual.reg_inspections'), t('qual.passed_of', { passed: fmtNum(q.regulator_inspections_passed), n: fmtNum(q.regulator_inspections) })],
      [t('qual.complaints'), t('qual.taken_up', { n: fmtNum(q.complaints), up: fmtNum(q.complaints_taken_up) })],
      [t('qual.actions'), t('qual.actions_done', { n: fmtNum(q.actions), done: fmtNum(q.actions_done) })],
      [t('qual.open_flags'), fmtNum(q.open_flags)],
    ]),
    el('h3', null, t('qual.formula')),
    el('p', { class: 'small formula', id: 'quality-formula' }, q.formula));
}

// ---- entering qualifications -----------------------------------------------------------------------

function enterForm(id, titleKey, controls, body, path) {
  const button = el('button', { type: 'submit' }, t('qual.save'));
  const result = el('div', { 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id }, el('div', { class: 'form-error-slot' }), ...controls, button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    await busy(button, async () => {
      try {
        const q = await api(`/parties/${encodeURIComponent(st.party)}/${path}`, { method: 'POST', body: body() });
        replace(result, el('div', { class: 'success', role: 'status' }, t('qual.saved', { id: q.id, state: tv('lic', q.state) })));
        await load();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return el('details', { class: 'enter' }, el('summary', null, el('strong', null, t(titleKey))), form);
}

function licenceForm() {
  const info = st.info || {};
  const uscc = el('input', { type: 'text', id: 'lic-uscc', 'data-field': 'uscc', required: true, value: info.uscc || '', spellcheck: 'false', autocapitalize: 'characters' });
  const name = el('input', { type: 'text', id: 'lic-name', 'data-field': 'name', required: true, value: info.name || '' });
  const scope = el('textarea', { id: 'lic-scope', 'data-field': 'scope', rows: 2, required: true });
  const from = el('input', { type: 'date', id: 'lic-from', 'data-field': 'valid_from', required: true });
  const to = el('input', { type: 'date', id: 'lic-to', 'data-field': 'valid_to', required: true });
  return enterForm('licence-form', 'qual.add_licence', [
    el('div', { class: 'inline-fields' }, field('f.uscc', uscc), field('lic.name', name)),
    field('lic.scope', scope),
    el('div', { class: 'inline-fields' }, field('lic.valid_from', from), field('lic.valid_to_h', to)),
  ], () => ({ uscc: uscc.value.trim(), name: name.value.trim(), scope: scope.value.trim(), valid_from: from.value, valid_to: to.value }), 'licences');
}

function trademarkForm() {
  const reg = el('input', { type: 'text', id: 'tm-reg', 'data-field': 'reg_no', required: true, placeholder: '第12345678号' });
  const mark = el('input', { type: 'text', id: 'tm-mark', 'data-field': 'mark', required: true });
  const cls = el('input', { type: 'number', id: 'tm-class', 'data-field': 'class', required: true, min: '1', max: '45', value: '20', inputmode: 'numeric' });
  const to = el('input', { type: 'date', id: 'tm-to', 'data-field': 'valid_to', required: true });
  const members = el('input', { type: 'text', id: 'tm-authorised', 'data-field': 'authorised', spellcheck: 'false', placeholder: 'pty_…, pty_…' });
  return enterForm('trademark-form', 'qual.add_trademark', [
    el('div', { class: 'inline-fields' }, field('tm.reg_no', reg), field('tm.mark', mark), field('tm.class', cls, { hint: t('tm.class_hint') }), field('lic.valid_to_h', to)),
    field('tm.authorised', members, { optional: true, hint: t('tm.authorised_hint') }),
  ], () => ({ reg_no: reg.value.trim(), mark: mark.value.trim(), class: Number(cls.value), valid_to: to.value,
    authorised: members.value.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean) }), 'trademarks');
}

function certificateForm() {
  const kind = el('input', { type: 'text', id: 'cert-kind', 'data-field': 'kind', required: true, placeholder: '中国环境标志产品认证' });
  const number = el('input', { type: 'text', id: 'cert-number', 'data-field': 'number', required: true });
  const body = el('input', { type: 'text', id: 'cert-body', 'data-field': 'body', required: true });
  const to = el('input', { type: 'date', id: 'cert-to', 'data-field': 'valid_to', required: true });
  return enterForm('certificate-form', 'qual.add_certificate', [
    el('div', { class: 'inline-fields' }, field('cert.kind', kind), field('cert.number', number), field('cert.body', body), field('lic.valid_to_h', to)),
  ], () => ({ kind: kind.value.trim(), number: number.value.trim(), body: body.value.trim(), valid_to: to.value }), 'certificates');
}

// ---- page --------------------------------------------------------------------------------------------

async function load() {
  const boxes = ['licence-box', 'trademarks-box', 'certificates-box', 'checks-box', 'history-box'].map((id) => document.getElementById(id));
  boxes.forEach((b) => replace(b, loading()));
  const qbox = document.getElementById('quality-box');
  replace(qbox, loading());
  const quality = api(`/parties/${encodeURIComponent(st.party)}/quality`).then(qualityBox, errorBox);
  try {
    const d = await api(`/parties/${encodeURIComponent(st.party)}/qualifications`);
    st.data = d;
    const [lic, tms, chks, hist] = await Promise.all([licenceBox(d), trademarksTable(d), checksTable(d), historyTable(d)]);
    replace(boxes[0], lic);
    replace(boxes[1], tms);
    replace(boxes[2], certificatesTable(d));
    replace(boxes[3], chks);
    replace(boxes[4], hist);
  } catch (e) {
    boxes.forEach((b) => replace(b, errorBox(e)));
  }
  replace(qbox, await quality);
}

async function start() {
  const me = await chrome('qualification', { needKey: true, roles: ['manufacturer', 'distributor', 'operator', 'regulator', 'platform'] });
  if (!me) return;
  st.me = me;
  const title = t('qual.title');
  document.title = `${title} · ${t('app.name')}`;
  const asked = new URLSearchParams(location.search).get('party');
  st.party = asked || (me.party ? me.party.id : '');
  if (!st.party) {
    const input = el('input', { type: 'text', id: 'acting-party', spellcheck: 'false', placeholder: 'pty_…' });
    const form = el('form', { class: 'card', novalidate: true }, field('f.seller', input), el('button', { type: 'submit' }, t('signin.trace_go')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.search = `?party=${encodeURIComponent(input.value.trim())}`;
    });
    replace(main, el('h1', null, title), form);
    return;
  }
  st.info = me.party && me.party.id === st.party ? me.party : await partyInfo(st.party);
  const info = st.info;
  replace(main,
    el('div', { class: 'spread' },
      el('h1', null, title, info ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${info.name}`) : null),
      el('button', { type: 'button', class: 'secondary small', id: 'qual-refresh', onclick: () => load() }, t('common.refresh'))),
    info ? el('p', { class: 'small muted' }, tv('role', info.role), info.city ? ` · ${info.city}` : '', info.uscc ? [' · ', el('code', null, info.uscc)] : null) : null,
    el('nav', { class: 'section-nav', 'aria-label': title },
      ['licence', 'trademarks', 'certificates', 'checks', 'quality', 'history'].map((s) => el('a', { href: `#${s}` }, t(`qual.${s}`)))),
    el('div', { class: 'grid two' },
      section('licence', 'qual.licence', el('div', { id: 'licence-box' })),
      section('quality', 'qual.quality', el('div', { id: 'quality-box' }))),
    section('trademarks', 'qual.trademarks', el('div', { id: 'trademarks-box' })),
    section('certificates', 'qual.certificates', el('div', { id: 'certificates-box' })),
    section('checks', 'qual.checks', el('p', { class: 'small muted' }, t('qual.checks_hint')), el('div', { id: 'checks-box' })),
    section('history', 'qual.history', el('div', { id: 'history-box' })),
    section('enter', 'qual.enter', el('p', { class: 'small muted' }, t('qual.enter_hint')), licenceForm(), trademarkForm(), certificateForm()));
  await load();
}

document.addEventListener('langchange', () => start());
start();
