// Status: health and readiness of the catalog and the store, the processing pool's load,
// and the version.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {bytes} from './format.js';

export async function render(main) {
  const s = await api('/api/console/status');
  const state = (text) => h('span', {class: `badge ${text === 'ok' ? 'badge-active' :
    'badge-revoked'}`}, text);
  const tile = (title, value, detail) => h('li', {class: 'card stat'},
    h('span', {class: 'stat-title'}, title), h('span', {class: 'stat-value'}, value),
    detail ? h('span', {class: 'muted'}, detail) : null);
  const p = s.pipeline;
  replace(main,
    h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, 'Status'),
      h('span', {class: 'muted'}, `imgate ${s.version}`)),
    h('ul', {class: 'stats', id: 'status-tiles'},
      tile('Health', state(s.health), 'the process answers'),
      tile('Ready', state(s.ready ? 'ok' : 'not ready'), 'catalog and storage answer'),
      tile('Catalog', state(s.catalog)),
      tile('Storage', state(s.storage), `backend: ${s.storage_backend}`),
      tile('Processing', `${p.jobs} of ${p.capacity}`,
        `jobs running or waiting; ${p.threads} threads, queue ${p.queue}`),
      tile('Decode memory', `${bytes(p.memory_in_use)} of ${bytes(p.memory_budget)}`,
        'held by admitted jobs (pipeline.memory_budget)'),
      tile('Version', s.version)));
}
