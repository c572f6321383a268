// Platform queue (`/platform`): the actions ordered on the caller's platform, with the
// listing and the evidence (failed inspections, non-compliant mills upstream); acknowledge
// each as done or rejected with a note. The listing's new status shows at once. Then the
// assistance requests (协查) addressed to the platform, answered with what the trace
// pre-fills or declined, and the import of a sales file (CSV or NDJSON) with its progress.
// The seller-check queue (entry checks and re-checks, with the licence seen) and the
// platform's own flags (expired licences, overdue re-checks, misleading claims, marks).
import {
  t, tv, el, $, $$, replace, api, chrome, loading, errorBox, fmtTime, statusBadge, badge, busy,
  partyInfo, field, clearErrors, showError, fieldError, cursorPager, progressBar, upload,
  download, csvBlob, fmtNum, formError, ApiError,
  safeUrl,
} from './app.js';
import { requestsPanel } from './requests.js';
import { checkQueue, flagsPanel } from './sellers.js';

const main = $('main');
const PAGE = 10;
const filter = { status: 'pending' };

async function name(id) {
  if (!id) return '';
  const p = await partyInfo(id);
  return p ? p.name : id;
}

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '').map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

async function evidence(listingId, box) {
  try {
    const tr = await api(`/trace/upstream/${encodeURIComponent(listingId)}`);
    const failed = tr.nodes.filter((n) => n.inspection && n.inspection.verdict === 'fail');
    const mills = tr.suppliers.map((sp) => {
      const n = tr.nodes.find((x) => x.id === sp.id) || {};
      const mk = n.mark;
      return el('li', null, sp.name, ' · ', sp.city, ' ', mk ? badge(tv('mark', mk), mk === 'suspect' ? 'warn' : 'bad') : badge(tv('compliance', 'compliant'), 'ok'),
        el('span', { class: 'small muted' }, ' ', sp.lots.map((l) => (tr.nodes.find((x) => x.id === l) || {}).lot_code || l).join(', ')));
    });
    replace(box,
      el('h4', null, t('plat.suppliers')), el('ul', { class: 'evidence-mills' }, mills),
      failed.length
        ? [el('h4', null, t('plat.failed_insp')), el('ul', null, failed.map((n) => el('li', null, el('strong', null, n.label), ' · ', n.inspection.report_no, ' · ', fmtTime(n.inspection.sampled_at, false),
          el('ul', { class: 'small' }, n.inspection.failed.map((f) => el('li', null, f))))))]
        : null,
      el('a', { href: `/trace/${listingId}`, class: 'small' }, t('q.full_trace')));
  } catch (e) {
    replace(box, errorBox(e));
  }
}

function ackForm(a, onDone) {
  const note = el('textarea', { id: `note-${a.id}`, 'data-field': 'note', rows: 2, class: 'ack-note' });
  const done = el('button', { type: 'submit', class: 'ok ack-done', value: 'done' }, t('plat.done'));
  const reject = el('button', { type: 'submit', class: 'secondary ack-reject', value: 'rejected' }, t('plat.reject'));
  const form = el('form', { novalidate: true, class: 'ack-form' }, field('plat.ack_note', note), el('div', { class: 'row' }, done, reject));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const result = ev.submitter && ev.submitter.value === 'rejected' ? 'rejected' : 'done';
    if (result === 'rejected' && !note.value.trim()) {
      fieldError(note, t('plat.note_required'));
      note.focus();
      return;
    }
    await busy(ev.submitter || done, async () => {
      try {
        const r = await api(`/actions/${encodeURIComponent(a.id)}/ack`, { method: 'POST', body: { result, note: note.value.trim() } });
        await onDone(r);
      } catch (e) {
        showError(form, e);
      }
    });
  });
  return form;
}

async function card(a) {
  const listingBox = el('div', { class: 'listing-box' }, loading());
  const evBox = el('div', { class: 'evidence' }, el('p', { class: 'muted small' }, t('plat.load_evidence')));
  const statusLine = el('div', { class: 'ack-status', 'aria-live': 'polite' });
  const c = el('article', { class: `card action-card ${a.overdue ? 'overdue' : ''} ${a.status}`, 'data-action': a.id, 'aria-labelledby': `h-${a.id}` });
  const issuer = await name(a.issued_by);
  const renderListing = async () => {
    try {
      const l = await api(`/listings/${encodeURIComponent(a.listing)}`);
      replace(listingBox,
        el('h3', { id: `h-${a.id}` }, safeUrl(l.url) ? el('a', { href: safeUrl(l.url), rel: 'noopener noreferrer', target: '_blank' }, l.title) : l.title),
        kv([
          [t('f.shop'), l.shop],
          [t('f.seller'), await name(l.seller)],
          [t('f.item_id'), el('code', null, l.item_id)],
          [t('plat.listing_status'), el('span', { class: 'listing-status', 'data-status': l.status }, statusBadge('listing', l.status))],
        ]));
    } catch (e) {
      replace(listingBox, el('h3', { id: `h-${a.id}` }, a.listing), errorBox(e));
    }
  };
  const head = () => el('div', { class: 'spread' },
    el('div', { class: 'row' }, badge(tv('action', a.kind), 'info'), statusBadge('astatus', a.status), a.overdue ? badge(tv('astatus', 'overdue'), 'bad') : null),
    el('code', { class: 'small' }, a.id));
  const order = () => kv([
    [t('f.reason'), a.reason],
    [t('plat.ordered_by'), issuer],
    [t('plat.ordered_at'), fmtTime(a.created_at)],
    [t('plat.due'), a.due_at ? el('span', { class: a.overdue ? 'row-error' : '' }, fmtTime(a.due_at)) : ''],
    [t('common.note'), a.note || ''],
    [t('common.time'), a.acked_at ? fmtTime(a.acked_at) : ''],
  ]);
  const draw = () => {
    replace(c, head(), el('div', { class: 'grid two' },
      el('div', null, listingBox, order(), statusLine, a.status === 'pending' ? ackForm(a, async (r) => {
        Object.assign(a, r);
        await renderListing();
        draw();
        replace(statusLine, el('div', { class: 'success', role: 'status' }, t('plat.acked', { status: tv('astatus', r.status) })));
      }) : null),
      el('div', null, el('h3', null, t('plat.evidence')), evBox)));
    c.className = `card action-card ${a.overdue ? 'overdue' : ''} ${a.status}`;
  };
  draw();
  renderListing();
  evidence(a.listing, evBox);
  return c;
}

const pager = cursorPager(async (cursor) => {
  const box = $('#queue');
  replace(box, loading());
  try {
    const r = await api('/actions', { query: { status: filter.status, limit: PAGE, cursor } });
    if (!r.actions.length) {
      replace(box, el('p', { class: 'muted', id: 'queue-empty' }, filter.status === 'pending' ? t('plat.none') : t('common.none')));
      return {};
    }
    replace(box, ...(await Promise.all(r.actions.map(card))));
    return { next: r.next_cursor };
  } catch (e) {
    replace(box, errorBox(e));
    return {};
  }
});

// ---- sales import ----------------------------------------------------------------------------

const SALES_MAX = 16 * 1024 * 1024;

function salesType(file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  if (ext === 'csv' || file.type === 'text/csv') return 'text/csv';
  if (['ndjson', 'jsonl'].includes(ext) || ['application/x-ndjson', 'application/ndjson', 'application/jsonl'].includes(file.type)) return 'application/x-ndjson';
  return '';
}

function fmtBytes(n) {
  return n >= 1024 * 1024 ? `${fmtNum(Math.round((n / 1024 / 1024) * 10) / 10)} MB` : `${fmtNum(Math.ceil(n / 1024))} KB`;
}

function salesImport() {
  const file = el('input', { type: 'file', id: 'sales-file', 'data-field': 'file', accept: '.csv,.ndjson,.jsonl,text/csv,application/x-ndjson' });
  const send = el('button', { type: 'submit', id: 'sales-upload' }, t('sales.upload'));
  const template = el('button', { type: 'button', class: 'secondary', id: 'sales-template' }, t('sales.template'));
  template.addEventListener('click', () => download(csvBlob([['listing', 'day', 'pieces', 'province', 'serials']]), 'sales-template.csv'));
  const result = el('div', { id: 'sales-result', 'aria-live': 'polite' });
  const form = el('form', { novalidate: true, id: 'sales-form' },
    el('p', { class: 'small' }, t('sales.intro')),
    el('div', { class: 'form-error-slot' }),
    field('sales.file', file, { hint: t('sales.file_hint') }),
    el('div', { class: 'row' }, send, template),
    result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    replace(result);
    const f = file.files && file.files[0];
    if (!f) {
      fieldError(file, t('err.required'));
      file.focus();
      return;
    }
    const type = salesType(f);
    if (!type) {
      fieldError(file, t('sales.type'));
      return;
    }
    if (f.size > SALES_MAX) {
      fieldError(file, t('sales.too_big'));
      return;
    }
    let job = null;
    const bar = progressBar(() => job && job.abort());
    bar.el.id = 'sales-progress';
    result.appendChild(bar.el);
    const show = (done, total) => {
      const pct = total ? Math.round((done / total) * 100) : 100;
      bar.set(done, total, t('sales.uploading', { pct, done: fmtBytes(done), total: fmtBytes(total) }));
    };
    show(0, f.size);
    await busy(send, async () => {
      job = upload('/sales/import', f, type, {
        onProgress: show,
        onSent: () => {
          const cancel = bar.el.querySelector('button');
          if (cancel) cancel.remove();
          const label = bar.el.querySelector('span');
          if (label) label.textContent = t('sales.checking');
        },
      });
      try {
        const r = await job.promise;
        bar.set(f.size, f.size, t('sales.uploading', { pct: 100, done: fmtBytes(f.size), total: fmtBytes(f.size) }));
        result.appendChild(el('div', { class: 'success', role: 'status', id: 'sales-done' },
          t('sales.done', { rows: fmtNum(r.rows), recorded: fmtNum(r.recorded), unchanged: fmtNum(r.unchanged) })));
      } catch (e) {
        if (e && e.name === 'AbortError') {
          bar.remove();
          result.appendChild(el('div', { class: 'notice', role: 'status' }, t('sales.cancelled')));
          return;
        }
        bar.remove();
        const detail = e instanceof ApiError && e.status >= 400 && e.status < 500 ? t('sales.refused', { detail: e.detail || e.message_for_people() }) : e.message_for_people ? e.message_for_people() : String(e);
        formError(form, detail).id = 'sales-problem';
      }
    });
  });
  return form;
}

// ---- page --------------------------------------------------------------------------------------

async function start() {
  const me = await chrome('platform', { needKey: true, roles: ['platform', 'operator'] });
  if (!me) return;
  document.title = `${t('plat.title')} · ${t('app.name')}`;
  const tabs = el('div', { class: 'tabs', id: 'queue-tabs' }, ['pending', 'done', 'rejected'].map((v) =>
    el('button', { type: 'button', 'data-status': v, 'aria-pressed': String(filter.status === v), onclick: () => {
      filter.status = v;
      $$('#queue-tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.status === v)));
      pager.reset();
    } }, tv('astatus', v))));
  const requests = me.party ? requestsPanel(['inbox'], 'inbox') : null;
  const flags = flagsPanel({ prefix: 'pflags', showPlatform: !me.party });
  const queue = me.party ? checkQueue({ onChange: () => flags.load() }) : null;
  replace(main,
    el('h1', null, t('plat.title'), me.party ? el('span', { class: 'muted', style: 'font-weight:400' }, ` · ${me.party.name}`) : null),
    el('nav', { class: 'section-nav', 'aria-label': t('plat.title') },
      el('a', { href: '#measures' }, t('plat.measures')), el('a', { href: '#checks' }, t('chk.title')), el('a', { href: '#flags' }, t('flag.title')),
      el('a', { href: '#requests' }, t('req.inbox')), el('a', { href: '#sales' }, t('sales.title'))),
    el('section', { class: 'card', id: 'measures', 'aria-labelledby': 'measures-h' },
      el('div', { class: 'spread' }, el('h2', { id: 'measures-h' }, t('plat.measures')),
        el('button', { type: 'button', class: 'secondary small', onclick: () => pager.reload() }, t('common.refresh'))),
      tabs, el('div', { id: 'queue' }), pager.el),
    el('section', { class: 'card', id: 'checks', 'aria-labelledby': 'checks-h' },
      el('div', { class: 'spread' }, el('h2', { id: 'checks-h' }, t('chk.title')),
        queue ? el('button', { type: 'button', class: 'secondary small', id: 'checks-refresh', onclick: () => queue.load() }, t('common.refresh')) : null),
      queue ? queue.el : el('p', { class: 'muted' }, t('chk.need_party'))),
    el('section', { class: 'card', id: 'flags', 'aria-labelledby': 'flags-h' }, el('h2', { id: 'flags-h' }, t('flag.title')), flags.el),
    el('section', { class: 'card', id: 'requests', 'aria-labelledby': 'requests-h' },
      el('h2', { id: 'requests-h' }, t('req.inbox')),
      requests ? requests.el : el('p', { class: 'muted' }, t('req.need_party'))),
    el('section', { class: 'card', id: 'sales', 'aria-labelledby': 'sales-h' }, el('h2', { id: 'sales-h' }, t('sales.title')), salesImport()));
  if (requests) requests.reload();
  if (queue) queue.load();
  flags.load();
  await pager.reset();
}

document.addEventListener('langchange', () => {
  pager.relabel();
  start();
});
start();
