// Sign in (`/`): the API key goes into sessionStorage; then what the caller's role can do.
import { TEXT } from './i18n.js';
import {
  lang, t, tv, el, $, replace, apiKey, setApiKey, signOut, whoAmI, chrome, field, busy,
  clearErrors, fieldError, showError, errorBox, rolePages, pagePath, ApiError,
} from './app.js';

const main = $('main');

const TASKS = {
  scan: 'task.scan',
  regulator: 'task.regulator',
  platform: 'task.platform',
  manufacturer: 'task.manufacturer',
  supplier: 'task.supplier',
  distributor: 'task.distributor',
  review: 'task.review',
  qualification: 'task.qualification',
};

/**
 * Where to go after signing in: a path on this origin only. The browser's own URL parser
 * decides (it drops tabs and newlines and reads a backslash as a slash, so "/\\host" and
 * "/\t/host" are other hosts); anything that resolves elsewhere is ignored.
 */
export function nextTarget(raw = new URLSearchParams(location.search).get('next')) {
  if (!raw || !raw.startsWith('/')) return null;
  let url;
  try {
    url = new URL(raw, location.origin);
  } catch {
    return null;
  }
  if (url.origin !== location.origin) return null;
  return url.pathname + url.search + url.hash;
}

function signInForm() {
  const input = el('input', {
    type: 'password',
    name: 'key',
    id: 'api-key',
    autocomplete: 'current-password',
    spellcheck: 'false',
    autocapitalize: 'off',
    required: true,
  });
  // Both languages on the key field and the button, so that anyone finds them.
  const other = lang() === 'en' ? 'zh' : 'en';
  const both = (key) => [t(key), el('span', { class: 'muted', lang: other === 'en' ? 'en' : 'zh-CN', style: 'font-weight:400' }, ` / ${TEXT[key][other === 'en' ? 1 : 0]}`)];
  const button = el('button', { type: 'submit', id: 'sign-in' }, t('signin.button'), el('span', { lang: other === 'en' ? 'en' : 'zh-CN', style: 'font-weight:400;opacity:.85' }, ` / ${TEXT['signin.button'][other === 'en' ? 1 : 0]}`));
  const keyField = field('signin.key', input, { hint: t('signin.key_hint') });
  replace(keyField.querySelector('label'), ...both('signin.key'));
  const form = el(
    'form',
    { class: 'card', id: 'signin-form', novalidate: true },
    el('h1', null, t('signin.title')),
    keyField,
    button,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const key = input.value.trim();
    if (!key) {
      fieldError(input, t('err.required'));
      input.focus();
      return;
    }
    await busy(button, async () => {
      setApiKey(key);
      try {
        await whoAmI(true);
      } catch (e) {
        signOut();
        if (e instanceof ApiError && e.status === 401) fieldError(input, t('err.401'));
        else showError(form, e);
        input.focus();
        return;
      }
      const next = nextTarget();
      if (next) {
        location.href = next;
        return;
      }
      await render();
      const h = $('#signed-in h1');
      if (h) h.focus();
    });
  });
  return form;
}

function traceForm() {
  const input = el('input', { type: 'text', id: 'trace-id', spellcheck: 'false', autocapitalize: 'off', placeholder: 'unt_…', required: true });
  const form = el(
    'form',
    { class: 'card', novalidate: true },
    el('h2', null, t('signin.trace_id')),
    field('signin.trace_id_label', input),
    el('button', { type: 'submit' }, t('signin.trace_go')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const id = input.value.trim();
    if (!/^[a-z]+_\d+$/.test(id)) {
      fieldError(input, t('scan.unknown'));
      return;
    }
    location.href = `/trace/${encodeURIComponent(id)}`;
  });
  return form;
}

function signedIn(me) {
  const party = me.party;
  const tasks = rolePages(me.role).map((p) =>
    el('a', { href: pagePath(p), class: 'task-link task' }, el('strong', null, t(me.role === 'lab' && p === 'regulator' ? 'reg.stats' : `nav.${p}`)), el('span', null, t(me.role === 'lab' && p === 'regulator' ? 'task.lab' : TASKS[p]))),
  );
  return el(
    'div',
    { id: 'signed-in' },
    el(
      'section',
      { class: 'card' },
      el('h1', { tabindex: '-1' }, t('signin.signed_in_as')),
      el(
        'dl',
        { class: 'kv' },
        el('dt', null, t('signin.role')),
        el('dd', { id: 'me-role' }, tv('role', me.role)),
        party ? [el('dt', null, t('signin.party')), el('dd', { id: 'me-party' }, party.name, ' ', el('code', null, party.id))] : null,
        party && party.city ? [el('dt', null, t('common.city')), el('dd', null, party.city)] : null,
        party && party.uscc ? [el('dt', null, t('signin.uscc')), el('dd', null, el('code', null, party.uscc))] : null,
        me.key_id ? [el('dt', null, t('signin.key_id')), el('dd', null, el('code', null, me.key_id))] : null,
      ),
    ),
    el('section', { class: 'card' }, el('h2', null, t('signin.can_do')), el('div', { class: 'task-grid' }, tasks)),
    traceForm(),
  );
}

async function render() {
  const me = await chrome('home');
  if (!apiKey() || !me) {
    replace(
      main,
      el(
        'div',
        { class: 'grid two' },
        signInForm(),
        el(
          'section',
          { class: 'card' },
          el('h2', null, t('app.name'), ' · ', t('app.tagline')),
          el('p', null, t('signin.intro')),
          el('p', null, t('signin.public')),
          el('a', { class: 'button secondary', href: '/scan' }, t('nav.scan')),
        ),
      ),
    );
    if (apiKey() && !me) {
      // The key is stored but /me failed: say why and let the user sign in again.
      try {
        await whoAmI(true);
      } catch (e) {
        main.prepend(errorBox(e));
        signOut();
      }
    }
    return;
  }
  replace(main, signedIn(me));
}

document.title = `${t('app.name')} · ${t('signin.title')}`;
render();
document.addEventListener('langchange', () => {
  const typed = $('#api-key') ? $('#api-key').value : '';
  render().then(() => {
    if ($('#api-key')) $('#api-key').value = typed;
  });
});
