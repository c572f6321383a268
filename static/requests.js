// Assistance requests (协查), shared by the regulator dashboard and the platform page: the
// inbox or outbox with each request's state (overdue ones marked), one request opened with
// its subjects and, for producer tracing, what the trace pre-fills; the answer (text, data,
// attachments) or the reason it was declined; answering and declining.
import {
  t, tv, el, $$, replace, api, loading, errorBox, fmtTime, fmtNum, badge, statusBadge, busy,
  field, clearErrors, showError, fieldError, download, idKind,
} from './app.js';

export const REQUEST_KINDS = ['producer_tracing', 'market_subject', 'transaction_records', 'sample_confirmation', 'data_comparison', 'other'];
const STATES = ['', 'open', 'overdue', 'answered', 'declined'];
const PREFILL_PARTS = [['producers', 'req.producers'], ['sellers', 'req.sellers'], ['distributors', 'req.distributors'], ['suppliers', 'req.suppliers']];
const MEDIA = { pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', csv: 'text/csv', txt: 'text/plain', json: 'application/json' };
const MAX_FILES = 4;
const MAX_FILE_BYTES = 40 * 1024;

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '').map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

function stateBadges(r) {
  return [statusBadge('rstate', r.state), r.overdue ? [' ', badge(tv('rstate', 'overdue'), 'bad')] : null];
}

function partyLine(p) {
  return t('req.party_line', { name: p.name || p.id, uscc: p.uscc || '—', city: p.city || '—' });
}

/**
 * The answer text boardtrail proposes from the pre-filled trace, one part after the other on
 * one line (the server takes no line breaks in a text).
 */
export function prefillText(p) {
  if (!p) return '';
  return PREFILL_PARTS.filter(([k]) => (p[k] || []).length)
    .map(([k, label]) => t('req.line', { label: t(label), list: p[k].map(partyLine).join(t('req.sep_items')) }))
    .join(t('req.sep_parts'));
}

/** Parties by part (producers, sellers, …) as lists; used for the pre-fill and the data. */
function partyLists(p, cls) {
  const parts = PREFILL_PARTS.filter(([k]) => Array.isArray(p[k]) && p[k].length);
  if (!parts.length) return el('p', { class: 'muted small' }, t('req.prefill_none'));
  return el('div', { class: cls }, parts.map(([k, label]) => el('div', { class: `party-list ${cls}-${k}` },
    el('h4', null, t(label)),
    el('ul', { class: 'small' }, p[k].map((x) => el('li', { 'data-party': x.id || '' }, el('strong', null, x.name || x.id), x.uscc ? [' · ', el('code', null, x.uscc)] : null, x.city ? ` · ${x.city}` : ''))))));
}

function subjectsList(r) {
  return el('ul', { class: 'request-subjects small' }, r.subjects.map((s) => el('li', { 'data-subject': s.id },
    badge(tv('kind', s.kind), 'plain'), ' ',
    idKind(s.id) ? el('a', { href: `/trace/${s.id}` }, s.label || s.id) : s.label || s.id,
    s.party ? el('div', { class: 'muted' }, partyLine(s.party)) : null)));
}

function timeline(r) {
  return el('ol', { class: 'small request-timeline' }, r.timeline.map((e) => el('li', null, fmtTime(e.at), ' · ', tv('rstep', e.what), e.by ? el('span', { class: 'muted' }, ` (${e.by})`) : null)));
}

async function fetchAttachment(a, button, slot) {
  await busy(button, async () => {
    try {
      const blob = await api(a.href.replace(/^\/api\/v1/, ''), { as: 'blob', accept: a.media_type || '*/*' });
      download(blob, a.name);
    } catch (e) {
      replace(slot, errorBox(e));
    }
  });
}

/** What came back: the answer, its data and attachments, or the reason for declining. */
function replyBox(r) {
  if (r.state === 'answered') {
    const slot = el('div');
    const data = r.data === undefined || r.data === null ? null : r.data;
    return el('div', { class: 'request-reply' },
      el('h4', null, t('req.answer')),
      el('p', { class: 'request-answer pre' }, r.answer || ''),
      data ? [el('h4', null, t('req.data_h')), !Array.isArray(data) && typeof data === 'object' && PREFILL_PARTS.some(([k]) => Array.isArray(data[k])) ? partyLists(data, 'request-data') : null,
        el('details', null, el('summary', { class: 'small' }, t('req.data_raw')), el('pre', { class: 'json request-data-json' }, JSON.stringify(data, null, 2)))] : null,
      r.attachments && r.attachments.length ? [el('h4', null, t('req.files')), el('ul', { class: 'request-attachments' }, r.attachments.map((a) => {
        const b = el('button', { type: 'button', class: 'link request-attachment', 'data-href': a.href }, a.name);
        b.addEventListener('click', () => fetchAttachment(a, b, slot));
        return el('li', null, b, el('span', { class: 'muted small' }, ` · ${a.media_type} · ${fmtNum(Math.ceil(a.size / 1024))} KB`));
      })), slot] : null);
  }
  if (r.state === 'declined') {
    return el('div', { class: 'request-reply' }, el('h4', null, t('req.declined_because')), el('p', { class: 'request-decline pre' }, r.decline_reason || ''));
  }
  return null;
}

function mediaTypeOf(file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return Object.values(MEDIA).includes(file.type) ? file.type : MEDIA[ext] || '';
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** The addressee's forms: answer (pre-filled for producer tracing) or decline. */
function replyForms(r, onDone) {
  const answer = el('textarea', { id: `answer-${r.id}`, class: 'answer-text', 'data-field': 'answer', rows: 4, required: true });
  answer.value = prefillText(r.prefill);
  const data = el('textarea', { id: `answer-data-${r.id}`, class: 'answer-data json', 'data-field': 'data', rows: 6, spellcheck: 'false' });
  data.value = r.prefill ? JSON.stringify(r.prefill, null, 2) : '';
  const files = el('input', { type: 'file', id: `answer-files-${r.id}`, class: 'answer-files', 'data-field': 'attachments', multiple: true, accept: '.pdf,.jpg,.jpeg,.png,.csv,.txt,.json,application/pdf,image/jpeg,image/png,text/csv,text/plain,application/json' });
  const send = el('button', { type: 'submit', class: 'ok answer-button' }, t('req.answer_button'));
  const form = el('form', { novalidate: true, class: 'answer-form' },
    el('div', { class: 'form-error-slot' }),
    field('req.answer_text', answer),
    field('req.data', data, { optional: true, hint: t('req.data_hint') }),
    field('req.files', files, { optional: true, hint: t('req.files_hint') }),
    send);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!answer.value.trim()) {
      fieldError(answer, t('err.required'));
      answer.focus();
      return;
    }
    let parsed;
    if (data.value.trim()) {
      try {
        parsed = JSON.parse(data.value);
        if (parsed === null || typeof parsed !== 'object') throw new Error(typeof parsed);
      } catch (e) {
        fieldError(data, t('req.data_invalid', { msg: e.message }));
        data.focus();
        return;
      }
    }
    const chosen = Array.from(files.files || []);
    if (chosen.length > MAX_FILES) {
      fieldError(files, t('req.files_too_many'));
      return;
    }
    const size = chosen.reduce((a, f) => a + f.size, 0);
    if (size > MAX_FILE_BYTES) {
      fieldError(files, t('req.files_too_big', { kb: fmtNum(Math.ceil(size / 1024)) }));
      return;
    }
    const bad = chosen.find((f) => !mediaTypeOf(f));
    if (bad) {
      fieldError(files, t('req.files_type', { name: bad.name }));
      return;
    }
    await busy(send, async () => {
      try {
        const attachments = await Promise.all(chosen.map(async (f) => ({ name: f.name, media_type: mediaTypeOf(f), content_base64: await base64Of(f) })));
        const v = await api(`/requests/${encodeURIComponent(r.id)}/answer`, { method: 'POST', body: { answer: answer.value.trim(), data: parsed, attachments } });
        onDone(v, t('req.answered'));
      } catch (e) {
        showError(form, e);
      }
    });
  });
  const reason = el('textarea', { id: `decline-reason-${r.id}`, class: 'decline-reason', 'data-field': 'reason', rows: 2, required: true });
  const decline = el('button', { type: 'submit', class: 'secondary decline-button' }, t('req.decline_button'));
  const dform = el('form', { novalidate: true, class: 'decline-form' }, field('req.decline_reason', reason), decline);
  dform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(dform);
    if (!reason.value.trim()) {
      fieldError(reason, t('err.required'));
      reason.focus();
      return;
    }
    await busy(decline, async () => {
      try {
        const v = await api(`/requests/${encodeURIComponent(r.id)}/decline`, { method: 'POST', body: { reason: reason.value.trim() } });
        onDone(v, t('req.declined'));
      } catch (e) {
        showError(dform, e);
      }
    });
  });
  return el('div', { class: 'reply-forms' }, el('h4', null, t('req.answer')), form,
    el('details', { class: 'decline' }, el('summary', null, t('req.decline')), dform));
}

/** One request, opened: subjects, pre-fill, reply (or the forms to reply), timeline. */
function detail(r, box, onDone) {
  const canReply = box === 'inbox' && r.state === 'open';
  return el('div', { class: 'request-detail grid two' },
    el('div', null,
      el('h4', null, t('req.subjects_h')), subjectsList(r),
      r.prefill ? [el('h4', null, t('req.prefill')), partyLists(r.prefill, 'prefill')] : null,
      el('h4', null, t('req.timeline')), timeline(r)),
    el('div', null, replyBox(r), canReply ? replyForms(r, onDone) : null));
}

function card(r, box, onChange) {
  const c = el('article', { class: 'card request-card', 'data-request': r.id, 'data-state': r.state });
  const status = el('div', { class: 'request-status', 'aria-live': 'polite' });
  const body = el('div', { class: 'request-body' });
  let open = false;
  const toggle = el('button', { type: 'button', class: 'secondary small request-open', 'aria-expanded': 'false' }, t('req.open'));
  const draw = () => {
    const other = box === 'inbox' ? r.from : r.to;
    replace(c,
      el('div', { class: 'spread' },
        el('div', { class: 'row' }, badge(tv('rkind', r.kind), 'info'), el('span', { class: 'request-state' }, stateBadges(r))),
        el('code', { class: 'small' }, r.id)),
      kv([
        [t(box === 'inbox' ? 'req.from' : 'req.to_short'), other ? other.name || other.id : ''],
        [t('req.question'), el('span', { class: 'request-question pre' }, r.question)],
        [t('req.subjects_h'), r.subjects.map((s) => s.label || s.id).join(t('req.sep_parts'))],
        [t('req.created'), fmtTime(r.created_at)],
        [t('req.due'), el('span', { class: r.overdue ? 'row-error' : '' }, fmtTime(r.due_at))],
        [t('req.replied'), r.replied_at ? [fmtTime(r.replied_at), r.response_hours !== undefined ? el('span', { class: 'muted' }, ` · ${t('req.hours', { h: fmtNum(r.response_hours) })}`) : null] : ''],
      ]),
      el('div', { class: 'row' }, toggle),
      status, body);
    c.className = `card request-card ${r.overdue ? 'overdue' : ''} ${r.state}`;
    c.dataset.state = r.state;
  };
  const onDone = (v, message) => {
    Object.assign(r, v);
    draw();
    replace(body, detail(r, box, onDone));
    replace(status, el('div', { class: 'success', role: 'status' }, message));
    if (onChange) onChange();
  };
  toggle.addEventListener('click', async () => {
    open = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = t(open ? 'req.close' : 'req.open');
    if (!open) {
      replace(body);
      return;
    }
    replace(body, loading());
    try {
      Object.assign(r, await api(`/requests/${encodeURIComponent(r.id)}`));
      replace(body, detail(r, box, onDone));
    } catch (e) {
      replace(body, errorBox(e));
    }
  });
  draw();
  return c;
}

/**
 * The requests of the caller: tabs per box (`boxes`: ['inbox'] or ['outbox', 'inbox']), a
 * state filter, the counts of open and overdue ones, and one card per request.
 * Returns {el, reload(box?)}.
 */
export function requestsPanel(boxes, prefix = 'req') {
  const st = { box: boxes[0], state: '' };
  const list = el('div', { id: `${prefix}-list`, class: 'request-list' });
  const summary = el('p', { id: `${prefix}-summary`, class: 'small', 'aria-live': 'polite' });
  const reload = async (box) => {
    if (box) {
      st.box = box;
      $$(`#${prefix}-boxes button`).forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.box === st.box)));
    }
    replace(list, loading());
    try {
      const r = await api('/requests', { query: { box: st.box, state: st.state } });
      replace(summary, t('req.summary', { open: fmtNum(r.open), overdue: fmtNum(r.overdue) }));
      if (!r.items.length) {
        replace(list, el('p', { class: 'muted' }, t('req.none')));
        return;
      }
      replace(list, r.items.map((x) => card(x, st.box, () => reloadCounts())));
    } catch (e) {
      replace(summary);
      replace(list, errorBox(e));
    }
  };
  const reloadCounts = async () => {
    try {
      const r = await api('/requests', { query: { box: st.box } });
      replace(summary, t('req.summary', { open: fmtNum(r.open), overdue: fmtNum(r.overdue) }));
    } catch {
      /* the counts stay as they were */
    }
  };
  const boxTabs = boxes.length > 1
    ? el('div', { class: 'tabs', id: `${prefix}-boxes` }, boxes.map((b) => el('button', { type: 'button', 'data-box': b, 'aria-pressed': String(st.box === b), onclick: () => reload(b) }, t(`req.${b}`))))
    : null;
  const state = el('select', { id: `${prefix}-state`, 'aria-label': t('common.status') }, STATES.map((s) => el('option', { value: s }, s ? tv('rstate', s) : `${t('common.status')}: ${t('common.all')}`)));
  state.style.width = 'auto';
  state.addEventListener('change', () => {
    st.state = state.value;
    reload();
  });
  const refresh = el('button', { type: 'button', class: 'secondary small', onclick: () => reload() }, t('common.refresh'));
  return {
    el: el('div', { class: 'requests-panel' }, boxTabs, el('div', { class: 'spread' }, summary, el('div', { class: 'row' }, state, refresh)), list),
    reload,
  };
}

/** Replies per addressee (`GET /stats/cooperation`): a table for the regulator. */
export async function cooperationTable(box) {
  replace(box, loading());
  try {
    const r = await api('/stats/cooperation');
    const rows = r.requests || [];
    if (!rows.length) {
      replace(box, el('p', { class: 'muted' }, t('req.none')));
      return;
    }
    const cols = [['received', 'req.coop_received'], ['answered', 'req.coop_answered'], ['declined', 'req.coop_declined'], ['open', 'req.coop_open'], ['overdue', 'req.coop_overdue'], ['replied_on_time', 'req.coop_on_time'], ['median_response_hours', 'req.coop_median']];
    replace(box, el('div', { class: 'table-wrap' }, el('table', { id: 'coop-table' },
      el('thead', null, el('tr', null, el('th', null, t('req.to_short')), cols.map(([, k]) => el('th', { class: 'num' }, t(k))))),
      el('tbody', null, rows.map((x) => el('tr', { 'data-party': x.party }, el('td', null, x.name, el('div', { class: 'small muted' }, tv('role', x.role))),
        cols.map(([k]) => el('td', { class: `num ${k === 'overdue' && x.overdue ? 'row-error' : ''}` }, x[k] === null || x[k] === undefined ? '—' : fmtNum(x[k])))))))));
  } catch (e) {
    replace(box, errorBox(e));
  }
}
