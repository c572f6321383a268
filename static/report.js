// The scan page's "举报/投诉 Report a problem" form, enhanced: the server renders a plain
// form that posts without scripts; here it is sent as JSON with an optional photo (shrunk
// in the browser to fit one log entry) and the reference is shown in place.
import { t, el, $, replace, api, clearErrors, showError, checkRequired, busy } from './app.js';

/** The photo limit of the API (48 KiB); aim a little under it. */
const PHOTO_BYTES = 46 * 1024;

function blobOf(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

/** Shrinks a photo to a JPEG of at most PHOTO_BYTES (smaller and rougher until it fits). */
async function shrink(file) {
  const img = await createImageBitmap(file);
  for (const side of [1024, 800, 640, 480, 320]) {
    const scale = Math.min(1, side / Math.max(img.width, img.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.width * scale));
    canvas.height = Math.max(1, Math.round(img.height * scale));
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    for (const q of [0.75, 0.55, 0.4]) {
      const b = await blobOf(canvas, q);
      if (b && b.size <= PHOTO_BYTES) return dataUrl(b);
    }
  }
  throw new Error(t('report.photo_too_big'));
}

export function enhanceReport() {
  const form = $('#q-report-form');
  if (!form || form.dataset.enhanced) return;
  form.dataset.enhanced = '1';
  const row = $('#r-photo-row', form);
  if (row && window.createImageBitmap) row.hidden = false;
  $('#r-text', form).dataset.field = 'text';
  $('#r-contact', form).dataset.field = 'contact';
  const photo = $('#r-photo', form);
  if (photo) photo.dataset.field = 'photo';
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkRequired(form)) return;
    const button = $('#r-submit', form);
    const result = $('#r-result', form);
    await busy(button, async () => {
      try {
        const body = {
          code: form.elements.code.value,
          text: form.elements.text.value.trim(),
          contact: form.elements.contact.value.trim() || undefined,
          website: form.elements.website.value || undefined,
        };
        if (photo && photo.files && photo.files[0]) body.photo = await shrink(photo.files[0]);
        const r = await api('/complaints', { method: 'POST', body, auth: false });
        const link = `/complaints/${encodeURIComponent(r.reference)}`;
        replace(result, el('div', { class: 'verdict-banner ok', id: 'r-done' },
          t('report.sent'), ' ', el('code', { id: 'r-reference' }, r.reference), ' ',
          el('a', { href: link }, t('report.track'))));
        form.elements.text.value = '';
        form.elements.contact.value = '';
        if (photo) photo.value = '';
      } catch (e) {
        showError(form, e);
      }
    });
  });
}
