// The public, witnessed log in the UI: where a scanned record stands (its event, the latest
// checkpoint and who cosigned it, a link to the inclusion proof) and, for regulators, the
// state of the witnesses (each bureau's last cosigned size, or why it refused).
import { t, el, api, fmtTime, fmtNum, badge, errorBox } from './app.js';

/** The "recorded in the public log" line of a scan view (`v.log`). */
export function logStanding(log) {
  if (!log) return null;
  const by = log.cosigned_by.length ? log.cosigned_by.join('、') : t('log.no_witness');
  const text = log.included
    ? t('log.recorded', { seq: fmtNum(log.seq), size: fmtNum(log.checkpoint_size), by })
    : t('log.pending', { seq: fmtNum(log.seq) });
  return el('section', { class: 'card', id: 'q-log', 'aria-labelledby': 'q-log-h' },
    el('h2', { id: 'q-log-h' }, t('log.title')),
    el('p', { id: 'q-log-text' }, text),
    log.proof ? el('p', { class: 'small' }, el('a', { href: log.proof, id: 'q-log-proof' }, t('log.proof')), ' · ',
      el('a', { href: '/log/checkpoint' }, t('log.checkpoint'))) : null);
}

/** The regulator dashboard's witnesses section. */
export function witnessSection() {
  const body = el('div', { id: 'witnesses-body' });
  const section = el('section', { class: 'card', id: 'witnesses', 'aria-labelledby': 'witnesses-h' },
    el('h2', { id: 'witnesses-h' }, t('log.witnesses')), body);
  loadWitnesses(body);
  return section;
}

async function loadWitnesses(body) {
  try {
    const w = await api('/log/witnesses', { absolute: true });
    const head = el('p', { id: 'witnesses-summary' }, t('log.summary', { origin: w.origin, size: w.checkpoint_size == null ? '–' : fmtNum(w.checkpoint_size) }));
    if (!w.witnesses.length) {
      body.replaceChildren(head, el('p', { class: 'muted' }, t('log.no_witnesses')));
      return;
    }
    const rows = w.witnesses.map((x) => {
      const current = x.cosigned_size != null && x.cosigned_size === w.checkpoint_size;
      const state = x.last_error ? badge(t('log.refused'), 'bad') : current ? badge(t('log.current'), 'ok') : badge(t('log.behind'), 'warn');
      return el('tr', null,
        el('td', null, el('strong', null, x.name), el('div', { class: 'small muted' }, el('code', null, x.key))),
        el('td', { class: 'num' }, x.cosigned_size == null ? '–' : fmtNum(x.cosigned_size)),
        el('td', null, x.cosigned_at ? fmtTime(new Date(x.cosigned_at).toISOString()) : '–'),
        el('td', null, state, x.last_error ? el('div', { class: 'small' }, x.last_error) : null));
    });
    body.replaceChildren(head, el('div', { class: 'table-wrap' }, el('table', { id: 'witnesses-table' },
      el('thead', null, el('tr', null, el('th', null, t('log.witness')), el('th', { class: 'num' }, t('log.cosigned_size')), el('th', null, t('log.cosigned_at')), el('th', null, t('log.state')))),
      el('tbody', null, rows))));
  } catch (e) {
    body.replaceChildren(errorBox(e));
  }
}
