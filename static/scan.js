// Scan (`/scan`): read a label's QR code with the camera (BarcodeDetector) where the browser
// can, else from a photo, else typed or pasted; then open the scan view or the trace.
import { t, el, $, replace, chrome, field, clearErrors, fieldError, apiKey } from './app.js';

const main = $('main');
const TOKEN = /^[a-z2-7]{26}$/;
const ID = /^(pty|lot|bat|unt|lst|shp)_[a-z2-7]{26}$/;

/**
 * Where a scanned or typed code leads: a same-site path, or null when it is not ours.
 * Accepts our scan links (/q/{token}), GS1 Digital Link paths (/01/{gtin}/10/…/21/…) on any
 * host, bare tokens, node ids, and GS1 element strings ((01)…(10)…(21)…).
 */
export function targetOf(raw) {
  const code = String(raw || '').trim();
  if (!code) return null;
  if (TOKEN.test(code.toLowerCase())) return `/q/${code.toLowerCase()}`;
  if (ID.test(code)) return `/trace/${code}`;
  let path = null;
  try {
    const u = new URL(code);
    if (u.protocol === 'http:' || u.protocol === 'https:') path = u.pathname + u.search;
  } catch {
    if (code.startsWith('/')) path = code;
  }
  if (path) {
    if (/^\/q\/[a-z2-7]{26}$/i.test(path)) return path.toLowerCase();
    if (/^\/01\/\d{8,14}(\/|$)/.test(path)) return path;
    const m = /^\/trace\/([a-z]+_[a-z2-7]{26})/.exec(path);
    if (m) return `/trace/${m[1]}`;
    return null;
  }
  // GS1 element string with parentheses: (01)06901234567892(10)MS-W-01(21)MS-W-01-0001
  const ai = {};
  const re = /\((\d{2,4})\)([^(]+)/g;
  let mm;
  while ((mm = re.exec(code))) ai[mm[1]] = mm[2].trim();
  if (ai['01']) {
    let p = `/01/${ai['01'].padStart(14, '0')}`;
    if (ai['10']) p += `/10/${encodeURIComponent(ai['10'])}`;
    if (ai['21']) p += `/21/${encodeURIComponent(ai['21'])}`;
    return p;
  }
  return null;
}

function go(code, form, input) {
  const target = targetOf(code);
  if (!target) {
    if (form && input) {
      clearErrors(form);
      fieldError(input, t('scan.unknown'));
      input.focus();
    }
    return false;
  }
  if (target.startsWith('/trace/') && !apiKey()) {
    location.href = `/?next=${encodeURIComponent(target)}`;
    return true;
  }
  location.href = target;
  return true;
}

async function detector() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes('qr_code')) return null;
    return new window.BarcodeDetector({ formats: ['qr_code'] });
  } catch {
    return null;
  }
}

function cameraBlock(det) {
  const status = el('p', { class: 'small', 'aria-live': 'polite' });
  const video = el('video', { class: 'scan-video hidden', playsinline: true, muted: true, 'aria-label': t('scan.camera_hint') });
  const start = el('button', { type: 'button', id: 'camera-start' }, t('scan.camera'));
  const stop = el('button', { type: 'button', class: 'secondary hidden' }, t('scan.stop'));
  let stream = null;
  let timer = null;
  const halt = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    stream = null;
    video.classList.add('hidden');
    stop.classList.add('hidden');
    start.classList.remove('hidden');
  };
  const tick = async () => {
    if (!stream) return;
    try {
      const codes = await det.detect(video);
      if (codes.length) {
        const value = codes[0].rawValue;
        status.textContent = t('scan.found', { code: value });
        if (targetOf(value)) {
          halt();
          go(value);
          return;
        }
      }
    } catch {
      /* the frame was not ready; try the next one */
    }
    timer = setTimeout(tick, 250);
  };
  start.addEventListener('click', async () => {
    if (!det || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = t('scan.no_camera');
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream;
      video.classList.remove('hidden');
      stop.classList.remove('hidden');
      start.classList.add('hidden');
      await video.play();
      status.textContent = t('scan.camera_hint');
      tick();
    } catch (e) {
      halt();
      status.textContent = t('scan.camera_error', { msg: (e && e.message) || String(e) });
    }
  });
  stop.addEventListener('click', halt);
  window.addEventListener('pagehide', halt);
  return el('section', { class: 'card' }, el('h2', null, t('scan.camera')), det ? null : el('p', { class: 'notice', id: 'no-camera' }, t('scan.no_camera')), el('div', { class: 'row' }, start, stop), video, status);
}

function photoBlock(det) {
  const input = el('input', { type: 'file', id: 'scan-photo', accept: 'image/*', capture: 'environment' });
  const status = el('p', { class: 'small', 'aria-live': 'polite', id: 'photo-status' });
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    if (!det) {
      status.textContent = t('scan.photo_unsupported');
      $('#scan-code').focus();
      return;
    }
    try {
      const bmp = await createImageBitmap(file);
      const codes = await det.detect(bmp);
      if (!codes.length) {
        status.textContent = t('scan.photo_none');
        return;
      }
      status.textContent = t('scan.found', { code: codes[0].rawValue });
      if (!go(codes[0].rawValue)) status.textContent = t('scan.unknown');
    } catch (e) {
      status.textContent = t('scan.photo_none');
    }
  });
  return el('section', { class: 'card' }, el('h2', null, t('scan.photo')), field('scan.photo', input, { hint: det ? t('scan.photo_hint') : t('scan.photo_unsupported') }), status);
}

function typeBlock() {
  const input = el('input', { type: 'text', id: 'scan-code', inputmode: 'url', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', required: true });
  const form = el('form', { class: 'card', novalidate: true, id: 'scan-form' }, el('h2', null, t('scan.code')), field('scan.code', input, { hint: t('scan.code_hint') }), el('button', { type: 'submit', id: 'scan-go' }, t('scan.go')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!input.value.trim()) {
      fieldError(input, t('err.required'));
      input.focus();
      return;
    }
    go(input.value, form, input);
  });
  // A pasted link goes straight through.
  input.addEventListener('paste', () => setTimeout(() => {
    if (targetOf(input.value)) go(input.value, form, input);
  }, 0));
  return form;
}

async function start() {
  await chrome('scan');
  document.title = `${t('scan.title')} · ${t('app.name')}`;
  const det = await detector();
  replace(main, el('h1', null, t('scan.title')), el('div', { class: 'grid two' }, typeBlock(), el('div', null, cameraBlock(det), photoBlock(det))));
  const q = new URLSearchParams(location.search).get('code');
  if (q) {
    $('#scan-code').value = q;
  }
}

document.addEventListener('langchange', () => start());
start();
