// Shared code of the boardtrail pages: language, API calls with the bearer key, the top bar,
// DOM building, errors shown next to their fields, times in China time, paging, downloads.
import { TEXT } from './i18n.js';

// ---- language ------------------------------------------------------------------------

const LANG_KEY = 'boardtrail.lang';

export function lang() {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function setLang(l) {
  try {
    localStorage.setItem(LANG_KEY, l);
  } catch {
    /* private mode: the switch lasts for this page only */
  }
  document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
  applyI18n();
  document.dispatchEvent(new CustomEvent('langchange', { detail: l }));
}

/** The text for a key in the current language, with `{name}` filled from vars. */
export function t(key, vars) {
  const e = TEXT[key];
  let s = e ? e[lang() === 'en' ? 1 : 0] : key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  }
  return s;
}

/** A label for an enum value (`material`, `plywood`), or the value itself when unknown. */
export function tv(prefix, value) {
  if (value === undefined || value === null || value === '') return '';
  const k = `${prefix}.${value}`;
  return TEXT[k] ? t(k) : String(value);
}

/** Fills elements marked with data-i18n (text) and data-i18n-{attr} (attributes). */
export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((e) => {
    e.textContent = t(e.dataset.i18n);
  });
  for (const attr of ['placeholder', 'aria-label', 'title']) {
    root.querySelectorAll(`[data-i18n-${attr}]`).forEach((e) => {
      e.setAttribute(attr, t(e.getAttribute(`data-i18n-${attr}`)));
    });
  }
}

// ---- the key and the API -------------------------------------------------------------

const KEY = 'boardtrail.key';
const ME = 'boardtrail.me';

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

export function setApiKey(k) {
  sessionStorage.setItem(KEY, k);
  sessionStorage.removeItem(ME);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
}

/** An API failure: the problem+json fields, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, detail, field, extra = {}) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail || '';
    this.field = field || null;
    Object.assign(this, extra);
  }

  /** A readable sentence for a person, in the current language. */
  message_for_people() {
    if (this.status === 0) return t('common.network', { msg: this.detail });
    if (this.status === 401) return t('err.401');
    if (this.status === 429) return t('err.429', { s: this.retryAfter || 1 });
    if (this.status >= 500) return t('err.500');
    const key = `err.${this.status}`;
    return TEXT[key] ? t(key, { detail: this.detail }) : `${this.status}: ${this.detail}`;
  }
}

function qs(query) {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the API. `path` is below /api/v1 unless it starts with '/' and `raw` is set.
 * Resolves to parsed JSON (or text/Blob with `as`), rejects with ApiError.
 */
export async function api(path, opts = {}) {
  const { method = 'GET', body, query, as = 'json', signal, accept, auth = true, absolute = false } = opts;
  const url = (absolute ? path : `/api/v1${path}`) + qs(query);
  const headers = { Accept: accept || 'application/json' };
  const key = apiKey();
  if (auth && key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, String((e && e.message) || e));
  }
  if (!resp.ok) {
    let detail = '';
    let field = null;
    try {
      const p = await resp.json();
      detail = p.detail || p.title || '';
      field = p.field || null;
    } catch {
      detail = resp.statusText;
    }
    const err = new ApiError(resp.status, detail, field, {
      retryAfter: resp.headers.get('Retry-After'),
    });
    if (resp.status === 401 && auth && key) sessionStorage.removeItem(ME);
    throw err;
  }
  if (resp.status === 204) return null;
  if (as === 'text') return resp.text();
  if (as === 'blob') return resp.blob();
  if (as === 'response') return resp;
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

/** Who the key belongs to (`GET /api/v1/me`), cached for the tab. */
export async function whoAmI(force = false) {
  if (!apiKey()) return null;
  if (!force) {
    const c = sessionStorage.getItem(ME);
    if (c) {
      try {
        return JSON.parse(c);
      } catch {
        /* refetch */
      }
    }
  }
  const me = await api('/me');
  sessionStorage.setItem(ME, JSON.stringify(me));
  return me;
}

const partyCache = new Map();

/** A party's public directory entry (name, role, city), cached; null if unknown. */
export async function partyInfo(id) {
  if (!id) return null;
  if (!partyCache.has(id)) {
    partyCache.set(
      id,
      api(`/parties/${encodeURIComponent(id)}`).catch(() => null),
    );
  }
  return partyCache.get(id);
}

export function rememberParty(p) {
  if (p && p.id) partyCache.set(p.id, Promise.resolve(p));
}

// ---- DOM -----------------------------------------------------------------------------

/**
 * Builds an element: el('a', {href: '/x', class: 'y', onclick: f}, 'text', child, ...).
 * Strings become text nodes (never HTML), null/false children are skipped.
 */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k === 'value') e.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') e[k] = !!v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(e, children);
  if (tag === 'table') labelCells(e);
  return e;
}

/**
 * Gives every body cell the text of its column header (data-label) and wraps its content,
 * so that on a phone each row shows as a card of "label: value" lines (see app.css).
 */
export function labelCells(table) {
  const heads = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent.trim());
  table.classList.add('cards');
  for (const tr of table.querySelectorAll('tbody tr')) {
    Array.from(tr.children).forEach((td, i) => {
      if (td.colSpan > 1 || td.querySelector(':scope > .cell')) return;
      td.dataset.label = heads[i] || '';
      const cell = document.createElement('div');
      cell.className = 'cell';
      while (td.firstChild) cell.appendChild(td.firstChild);
      td.appendChild(cell);
    });
  }
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

/** A link taken from stored data, if it is a plain web address (never javascript: etc.). */
export function safeUrl(u) {
  return typeof u === 'string' && /^https?:\/\//i.test(u.trim()) ? u.trim() : null;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export function clear(e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

export function replace(e, ...children) {
  clear(e);
  append(e, children);
  return e;
}

let uid = 0;
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled field: returns the wrapper; the control gets an id, a label and data-field. */
export function field(labelKey, control, opts = {}) {
  const id = control.id || nextId('fld');
  control.id = id;
  if (opts.field) control.dataset.field = opts.field;
  if (opts.required) control.required = true;
  const hintId = opts.hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return el(
    'div',
    { class: `field ${opts.class || ''}` },
    el('label', { for: id }, opts.labelText || t(labelKey), opts.optional ? el('span', { class: 'muted small' }, ' ', t('common.optional')) : null),
    control,
    opts.hint ? el('div', { class: 'hint', id: hintId }, opts.hint) : null,
  );
}

export function badge(text, kind = 'plain') {
  return el('span', { class: `badge ${kind}` }, text);
}

export function statusBadge(prefix, value) {
  const kind =
    {
      active: 'ok',
      pending: 'info',
      done: 'ok',
      rejected: 'plain',
      noncompliant: 'bad',
      suspect: 'warn',
      compliant: 'ok',
      failed: 'bad',
      fail: 'bad',
      pass: 'ok',
      open: 'info',
      investigating: 'warn',
      closed: 'plain',
      answered: 'ok',
      declined: 'plain',
    }[value] || (prefix === 'listing' ? 'bad' : 'plain');
  return badge(tv(prefix, value), kind);
}

export function markBadge(mark) {
  if (!mark) return null;
  return badge(tv('mark', mark), mark === 'suspect' ? 'warn' : 'bad');
}

// ---- errors next to fields -------------------------------------------------------------

/** Removes every field error and form error shown in `form`. */
export function clearErrors(form) {
  $$('.field-error, .form-error', form).forEach((e) => e.remove());
  $$('[aria-invalid="true"]', form).forEach((c) => {
    c.removeAttribute('aria-invalid');
    const d = (c.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.endsWith('-err'));
    if (d.length) c.setAttribute('aria-describedby', d.join(' '));
    else c.removeAttribute('aria-describedby');
  });
}

/** Finds the control for an API `field` path: exact, then ever shorter prefixes. */
export function controlFor(form, fieldPath) {
  if (!fieldPath) return null;
  let f = fieldPath;
  for (;;) {
    // data-field holds one or more space-separated request paths the control answers for.
    const c = form.querySelector(`[data-field~="${f.replace(/["\\]/g, '\\$&')}"]`);
    if (c) return c;
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    if (cut <= 0) return null;
    f = f.slice(0, cut);
  }
}

/** Shows a message under one control, linked with aria-describedby. */
export function fieldError(control, message) {
  const id = `${control.id || (control.id = nextId('fld'))}-err`;
  const old = document.getElementById(id);
  if (old) old.remove();
  const msg = el('div', { class: 'field-error', id, role: 'alert' }, message);
  control.setAttribute('aria-invalid', 'true');
  const d = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!d.includes(id)) d.push(id);
  control.setAttribute('aria-describedby', d.join(' '));
  const wrap = control.closest('.field') || control.parentElement;
  wrap.appendChild(msg);
  return msg;
}

/** Shows an error for the whole form (at its top). */
export function formError(form, message) {
  const box = el('div', { class: 'form-error', role: 'alert' }, message);
  const slot = form.querySelector('.form-error-slot');
  if (slot) slot.appendChild(box);
  else form.prepend(box);
  return box;
}

/** Shows an API error next to the field it names, or at the top of the form. */
export function showError(form, err) {
  if (!(err instanceof ApiError)) {
    formError(form, String((err && err.message) || err));
    return;
  }
  if (err.status === 401) {
    formError(form, err.message_for_people());
    return;
  }
  const c = controlFor(form, err.field);
  if (c) {
    fieldError(c, err.detail || err.message_for_people());
    c.focus();
  } else {
    formError(form, err.message_for_people());
  }
}

/** Checks `required` and number inputs before sending; shows the errors; true if fine. */
export function checkRequired(form) {
  let ok = true;
  for (const c of $$('input, select, textarea', form)) {
    if (c.disabled || c.type === 'checkbox' || c.closest('.hidden')) continue;
    if (c.required && !String(c.value).trim()) {
      fieldError(c, t('err.required'));
      ok = false;
    } else if (c.type === 'number' && c.value !== '' && c.dataset.positive && !(Number(c.value) > 0)) {
      fieldError(c, t('err.number'));
      ok = false;
    }
  }
  if (!ok) {
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
  }
  return ok;
}

/** Runs `work` with the button disabled and a spinner; returns its result. */
export async function busy(button, work) {
  const old = button ? button.disabled : false;
  let spin = null;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    spin = el('span', { class: 'spinner', 'aria-hidden': 'true' });
    button.prepend(spin);
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = old;
      button.removeAttribute('aria-busy');
      if (spin) spin.remove();
    }
  }
}

/** A progress bar with a text and an optional cancel button. */
export function progressBar(onCancel) {
  const bar = el('progress', { max: '1', value: '0' });
  const text = el('span', { class: 'small', 'aria-live': 'polite' }, t('common.working'));
  const cancel = onCancel ? el('button', { type: 'button', class: 'secondary small', onclick: onCancel }, t('common.cancel')) : null;
  const box = el('div', { class: 'progress', role: 'status' }, bar, text, cancel);
  return {
    el: box,
    set(done, total, label) {
      bar.max = Math.max(total, 1);
      bar.value = done;
      text.textContent = label || t('common.progress', { done, total });
    },
    remove() {
      box.remove();
    },
  };
}

export function loading() {
  return el('p', { class: 'muted', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('common.loading'));
}

export function errorBox(err) {
  const msg = err instanceof ApiError ? err.message_for_people() : String((err && err.message) || err);
  return el('div', { class: 'form-error', role: 'alert' }, msg);
}

// ---- times and numbers -------------------------------------------------------------------

const CN_OFFSET_MS = 8 * 3600 * 1000;

function pad(n) {
  return String(n).padStart(2, '0');
}

/** An RFC 3339 time shown in China time: 2026-03-20 08:00. */
export function fmtTime(iso, withTime = true) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const c = new Date(d.getTime() + CN_OFFSET_MS);
  const day = `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())}`;
  return withTime ? `${day} ${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}` : day;
}

/** Now (or `plusMs` from now) in China time as a datetime-local value. */
export function nowLocalCN(plusMs = 0) {
  const c = new Date(Date.now() + plusMs + CN_OFFSET_MS);
  return `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())}T${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}`;
}

/** A datetime-local value read as China time, as RFC 3339 with +08:00. */
export function cnToRfc3339(v) {
  if (!v) return '';
  const s = v.length === 16 ? `${v}:00` : v;
  return `${s}+08:00`;
}

export function fmtNum(n) {
  if (n === undefined || n === null) return '';
  return Number(n).toLocaleString(lang() === 'en' ? 'en-US' : 'zh-CN', { maximumFractionDigits: 3 });
}

/** A province by its GB/T 2260 code (`320000` → 江苏), or `unknown` where none was given. */
export function provinceName(code) {
  return tv('prov', code) || String(code);
}

/** Pieces by province (`{"320000": 8, "unknown": 1}`), most first: "江苏 8 · 未注明省份 1". */
export function provincesText(byProvince) {
  return Object.entries(byProvince || {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${provinceName(code)} ${fmtNum(n)}`)
    .join(' · ');
}

export function fmtQty(q) {
  if (!q) return '';
  return `${fmtNum(q.value)} ${tv('unit', q.unit)}`;
}

// ---- uploads ------------------------------------------------------------------------------

/**
 * Sends a file body with XMLHttpRequest (fetch cannot report upload progress): POST to
 * `path` below /api/v1 with the key. `onProgress(sent, total)` follows the bytes going out,
 * `onSent()` fires once they are all out (the server is then checking). Returns
 * {promise, abort}: the promise resolves to the JSON answer and rejects with an ApiError
 * (problem+json fields; status 0 for a network failure) or an AbortError.
 */
export function upload(path, body, contentType, { onProgress, onSent } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', contentType);
    const key = apiKey();
    if (key) xhr.setRequestHeader('Authorization', `Bearer ${key}`);
    const total = body && body.size !== undefined ? body.size : 0;
    xhr.upload.onprogress = (e) => {
      if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : total);
    };
    xhr.upload.onload = () => {
      if (onProgress) onProgress(total, total);
      if (onSent) onSent();
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      if (xhr.status === 401 && key) sessionStorage.removeItem(ME);
      const detail = (data && (data.detail || data.title)) || xhr.statusText;
      reject(new ApiError(xhr.status, detail, data && data.field, { retryAfter: xhr.getResponseHeader('Retry-After') }));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network error'));
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}

// ---- downloads ---------------------------------------------------------------------------

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
    a.remove();
  }, 1000);
}

/**
 * One CSV cell. A cell that a spreadsheet would read as a formula (it begins with =, +, -,
 * @, a tab or a carriage return: CSV injection) gets a leading ' so that it stays text
 * (OWASP); then quoting as RFC 4180 asks.
 */
export function csvCell(v) {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV file (UTF-8 with BOM so that spreadsheet programs show the Chinese). */
export function csvBlob(rows) {
  const text = rows.map((r) => r.map(csvCell).join(',')).join('\r\n');
  return new Blob(['\ufeff', text, '\r\n'], { type: 'text/csv;charset=utf-8' });
}

// ---- paging --------------------------------------------------------------------------------

/**
 * Cursor paging: keeps the cursors of the pages seen so that "previous" works.
 * load(cursor) resolves to {next}; render happens in load.
 */
export function cursorPager(load) {
  const stack = [null];
  let next = null;
  const prev = el('button', { type: 'button', class: 'secondary small', disabled: true }, t('common.prev'));
  const nextB = el('button', { type: 'button', class: 'secondary small', disabled: true }, t('common.next'));
  const label = el('span', { class: 'small muted', 'aria-live': 'polite' });
  const box = el('div', { class: 'pager' }, label, prev, nextB);
  async function go(cursor) {
    prev.disabled = true;
    nextB.disabled = true;
    const r = await busy(null, () => load(cursor));
    next = (r && r.next) || null;
    prev.disabled = stack.length <= 1;
    nextB.disabled = !next;
    label.textContent = t('common.page', { n: stack.length });
  }
  prev.addEventListener('click', () => {
    if (stack.length > 1) {
      stack.pop();
      go(stack[stack.length - 1]);
    }
  });
  nextB.addEventListener('click', () => {
    if (next) {
      stack.push(next);
      go(next);
    }
  });
  return {
    el: box,
    reset() {
      stack.length = 1;
      stack[0] = null;
      return go(null);
    },
    reload() {
      return go(stack[stack.length - 1]);
    },
    relabel() {
      prev.textContent = t('common.prev');
      nextB.textContent = t('common.next');
      label.textContent = t('common.page', { n: stack.length });
    },
  };
}

// ---- the top bar -------------------------------------------------------------------------------

const NAV = {
  operator: ['scan', 'regulator', 'review', 'platform', 'manufacturer', 'supplier', 'distributor', 'qualification'],
  regulator: ['scan', 'regulator', 'review'],
  platform: ['scan', 'platform'],
  manufacturer: ['scan', 'manufacturer', 'qualification'],
  supplier: ['scan', 'supplier'],
  lab: ['scan', 'regulator'],
  distributor: ['scan', 'distributor', 'qualification'],
};

const PATHS = {
  home: '/',
  scan: '/scan',
  regulator: '/regulator',
  platform: '/platform',
  manufacturer: '/manufacturer',
  supplier: '/supplier',
  distributor: '/distributor',
  // The seller review and sampling plans (regulators), a seller's qualifications.
  review: '/review',
  qualification: '/qualification',
};

export function rolePages(role) {
  return NAV[role] || ['scan'];
}

export function pagePath(name) {
  return PATHS[name];
}

/**
 * Draws the top bar and footer, sets the language and returns `me` (null when signed out
 * or when the page is public). `active` names the current page.
 */
let chromeDraw = null;

export async function chrome(active, { needKey = false, roles = null } = {}) {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  const header = document.querySelector('header.topbar');
  let me = null;
  let meError = null;
  if (apiKey()) {
    try {
      me = await whoAmI();
    } catch (e) {
      meError = e;
    }
  }
  const draw = () => {
    const items = [el('li', null, el('a', { href: '/', 'aria-current': active === 'home' ? 'page' : null }, t('nav.home')))];
    const pages = me ? rolePages(me.role) : ['scan'];
    for (const p of pages) {
      const label = me && me.role === 'lab' && p === 'regulator' ? t('reg.stats') : t(`nav.${p}`);
      items.push(el('li', null, el('a', { href: PATHS[p], 'aria-current': active === p ? 'page' : null }, label)));
    }
    const who = me
      ? el('span', { class: 'who' }, (me.party && me.party.name) || tv('role', me.role), ' · ', tv('role', me.role))
      : null;
    replace(
      header,
      el(
        'div',
        { class: 'inner' },
        el('a', { class: 'brand', href: '/' }, t('app.name'), el('small', null, t('app.tagline'))),
        el('nav', { 'aria-label': t('app.name') }, el('ul', null, items)),
        who,
        el(
          'button',
          {
            type: 'button',
            id: 'lang-switch',
            lang: lang() === 'en' ? 'zh-CN' : 'en',
            'aria-label': t('nav.lang.label'),
            onclick: () => setLang(lang() === 'en' ? 'zh' : 'en'),
          },
          t('nav.lang'),
        ),
        me || apiKey()
          ? el(
              'button',
              {
                type: 'button',
                id: 'sign-out',
                onclick: () => {
                  signOut();
                  location.href = '/';
                },
              },
              t('nav.signout'),
            )
          : null,
      ),
    );
    const foot = document.querySelector('footer');
    if (foot) foot.textContent = t('footer');
    const skip = document.querySelector('.skip');
    if (skip) skip.textContent = t('nav.skip');
  };
  draw();
  if (!chromeDraw) document.addEventListener('langchange', () => chromeDraw());
  chromeDraw = draw;
  applyI18n();
  const main = document.querySelector('main');
  if (needKey && !apiKey()) {
    replace(main, signInNeeded());
    return null;
  }
  if (needKey && meError) {
    replace(main, errorBox(meError), meError.status === 401 ? signInNeeded() : null);
    return null;
  }
  if (roles && me && !roles.includes(me.role)) {
    replace(main, el('div', { class: 'form-error', role: 'alert' }, t('common.forbidden_page', { role: tv('role', me.role) })));
    return null;
  }
  return me;
}

export function signInNeeded() {
  const next = location.pathname + location.search;
  return el(
    'div',
    { class: 'card' },
    el('p', null, t('common.need_key')),
    el('a', { class: 'button', href: `/?next=${encodeURIComponent(next)}` }, t('common.go_signin')),
  );
}

/** The label of a node id's kind from its prefix. */
export function idKind(id) {
  const m = /^([a-z]+)_[a-z2-7]{26}$/.exec(id || '');
  return m ? { pty: 'party', lot: 'lot', bat: 'batch', unt: 'unit', lst: 'listing', shp: 'shipment', ins: 'inspection', act: 'action', case: 'case', dec: 'declaration', gnt: 'grant', gds: 'goods_shipment', sal: 'sale', req: 'request' }[m[1]] : null;
}
