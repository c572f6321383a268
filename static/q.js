// The public scan view (`/q/{token}` and GS1 Digital Link paths): what anyone holding the
// label may see — product, maker and city, batch and date, the board lots with material,
// declared class and mill, the latest verdicts, and where it is sold. No key needed; with a
// key the full trace is one click away.
import { t, tv, el, $, replace, api, chrome, loading, errorBox, fmtTime, statusBadge, badge, ApiError } from './app.js';
import { logStanding } from './logstate.js';
import { enhanceReport } from './report.js';

const main = $('main');

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p[1]).map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

function banner(v) {
  const lotMarks = v.lots.map((l) => l.mark).filter(Boolean);
  const mark = v.mark || (lotMarks.includes('failed') ? 'failed' : lotMarks.includes('noncompliant') ? 'noncompliant' : lotMarks.includes('suspect') ? 'suspect' : null);
  if (mark === 'failed') return el('div', { class: 'verdict-banner bad', role: 'alert', id: 'q-banner' }, t('q.banner.failed'));
  if (mark === 'noncompliant') return el('div', { class: 'verdict-banner bad', role: 'alert', id: 'q-banner' }, t('q.banner.noncompliant'));
  if (mark === 'suspect') return el('div', { class: 'verdict-banner warn', role: 'status', id: 'q-banner' }, t('q.banner.suspect'));
  return el('div', { class: 'verdict-banner ok', id: 'q-banner' }, t('q.banner.ok'));
}

function inspectionLine(i) {
  return el('li', null, statusBadge('verdict', i.verdict), ' ', fmtTime(i.sampled_at, false), ' · ', t('f.report_no'), ' ', i.report_no,
    i.failed && i.failed.length ? el('ul', { class: 'small' }, i.failed.map((f) => el('li', null, f))) : null);
}

function render(v) {
  // The report form was rendered on the server: keep it (and anything typed into it).
  const report = document.getElementById('q-report');
  const p = v.product;
  const traceId = v.trace ? v.trace.split('/').pop() : null;
  document.title = `${v.title || t('q.title')} · ${t('app.name')}`;
  replace(
    main,
    el('p', { class: 'muted small' }, t('q.title')),
    el('h1', { id: 'q-title' }, p ? p.name : v.title),
    banner(v),
    el('div', { class: 'grid two' },
      el('section', { class: 'card', 'aria-labelledby': 'q-product-h' },
        el('h2', { id: 'q-product-h' }, t('q.product')),
        kv([
          [t('f.product_name'), p ? p.name : v.title],
          [t('f.model'), p ? p.model : ''],
          [t('f.gtin'), p && p.gtin ? el('code', null, p.gtin) : ''],
          [t('f.serial'), v.serial ? el('code', null, v.serial) : ''],
          [t('q.batch'), v.batch_code ? el('code', null, v.batch_code) : ''],
          [t('q.produced'), v.produced_at ? fmtTime(v.produced_at, false) : ''],
          [t('q.maker'), v.maker ? el('span', { id: 'q-maker' }, v.maker.name, el('span', { class: 'muted' }, ` · ${v.maker.city}`)) : ''],
        ])),
      el('section', { class: 'card', 'aria-labelledby': 'q-insp-h' },
        el('h2', { id: 'q-insp-h' }, t('q.inspections')),
        v.inspections.length ? el('ul', { id: 'q-inspections' }, v.inspections.map(inspectionLine)) : el('p', { class: 'muted' }, t('q.no_inspections')),
        el('h2', null, t('q.listings')),
        v.listings.length
          ? el('ul', { id: 'q-listings' }, v.listings.map((l) => el('li', null, el('strong', null, l.platform), ' · ', l.shop, ' ', statusBadge('listing', l.status))))
          : el('p', { class: 'muted' }, t('q.no_listings')))),
    el('section', { class: 'card', 'aria-labelledby': 'q-lots-h' },
      el('h2', { id: 'q-lots-h' }, t('q.lots')),
      v.lots.length
        ? el('ul', { class: 'lot-list', id: 'q-lots' }, v.lots.map((l) => el('li', { class: l.mark || '' },
          el('div', { class: 'spread' }, el('strong', null, l.lot_code), l.mark ? badge(tv('mark', l.mark), l.mark === 'suspect' ? 'warn' : 'bad') : null),
          el('div', null, tv('material', l.material), ' · ', t('f.class'), '：', tv('class', l.formaldehyde_class)),
          el('div', { class: 'q-supplier' }, t('q.made_by'), '：', el('strong', null, l.supplier.name), el('span', { class: 'muted' }, ` · ${l.supplier.city}`)),
          l.inspection ? el('div', { class: 'small' }, t('q.latest', { verdict: tv('verdict', l.inspection.verdict), date: fmtTime(l.inspection.sampled_at, false) }),
            l.inspection.failed.length ? `：${l.inspection.failed.join('；')}` : '') : null)))
        : el('p', { class: 'muted' }, t('common.none'))),
    logStanding(v.log),
    traceId
      ? el('p', null, el('a', { class: 'button', href: `/trace/${traceId}`, id: 'q-trace' }, t('q.full_trace')))
      : el('p', { class: 'muted small' }, t('q.signed_out'), ' ', v.signed_in ? null : el('a', { href: `/?next=${encodeURIComponent(location.pathname)}` }, t('common.go_signin'))),
    report,
  );
  enhanceReport();
}

async function start() {
  await chrome('q');
  // The server rendered the view into the page: keep it on screen while the script
  // fetches the same view (a weak connection shows it at once).
  if (!main.dataset.rendered) replace(main, loading());
  try {
    // The same address answers JSON to a JSON request; the key (if any) shows more.
    const v = await api(location.pathname, { absolute: true, accept: 'application/json' });
    render(v);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) replace(main, el('h1', null, t('q.title')), el('div', { class: 'form-error', role: 'alert', id: 'q-missing' }, t('q.not_found')));
    else replace(main, el('h1', null, t('q.title')), errorBox(e));
  }
}

document.addEventListener('langchange', () => start());
start();
