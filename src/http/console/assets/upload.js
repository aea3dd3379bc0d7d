// The upload page: pick or drop files, choose the biz type, and watch each file and the
// batch go. Refusals show the server's own message.

import {api} from './api.js';
import {h, notice, replace} from './dom.js';
import {bytes} from './format.js';
import {forget, interrupted, plan, upload} from './uploader.js';

/** Files sent at once. */
const FILE_CONCURRENCY = 2;
const DEFAULT_BIZ = 0;

export async function render(main, ctx) {
  const limits = await api('/api/upload/limits');
  const bizSelect = h('select', {id: 'biz-type', name: 'biz_type'},
    limits.biz_types.map((b) => h('option', {value: b.code, selected: b.code === DEFAULT_BIZ},
      `${b.name} (${b.code}): ${b.file_types.join(', ')}`)));
  const input = h('input', {type: 'file', id: 'files', multiple: true, class: 'drop-input'});
  const zone = h('label', {for: 'files', class: 'drop-zone'},
    h('span', {class: 'drop-title'}, 'Drop files here, or choose them'),
    h('span', {class: 'muted'},
      `Up to ${bytes(limits.base64.max_bytes)} by Base64; larger files, up to ` +
      `${bytes(limits.imagex.max_file_bytes)}, in parts that resume after a reload.`));
  const batch = h('section', {class: 'batch', 'aria-live': 'polite'});
  const pending = h('section', {class: 'pending'});
  const list = h('ol', {class: 'uploads', id: 'upload-list'});
  replace(main,
    h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, 'Upload')),
    h('div', {class: 'card upload-form'},
      h('div', {class: 'field'}, h('label', {for: 'biz-type'}, 'Biz type'), bizSelect),
      input, zone),
    pending, batch, list);
  showInterrupted(pending);
  const start = (files) => {
    if (!files.length) return;
    const bizType = Number(bizSelect.value);
    runBatch([...files], {bizType, limits, serviceId: ctx.me.service_id, list, batch, ctx})
      .then(() => showInterrupted(pending));
  };
  input.addEventListener('change', () => { start(input.files); input.value = ''; });
  for (const name of ['dragenter', 'dragover']) {
    zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  }
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    start(e.dataTransfer.files);
  });
}

function showInterrupted(section) {
  const cut = interrupted();
  if (!cut.length) {
    replace(section);
    return;
  }
  replace(section, notice('info',
    h('strong', {}, 'Interrupted uploads. '),
    'Choose the same file again (with the same biz type) and it continues where it stopped.',
    h('ul', {class: 'plain'}, cut.map((entry) => h('li', {class: 'pending-item'},
      h('span', {class: 'name'}, entry.name), ` ${bytes(entry.size)}, biz type ${entry.bizType} `,
      h('button', {class: 'btn btn-small', type: 'button',
        onclick: () => { forget(entry.key); showInterrupted(section); }}, 'Forget'))))));
}

function fileRow(file, how) {
  const bar = h('progress', {max: file.size || 1, value: 0});
  const status = h('span', {class: 'status'}, 'Waiting');
  const method = how.method === 'base64' ? 'Base64' : `Chunked, ${how.parts} parts`;
  const row = h('li', {class: 'upload-row'},
    h('div', {class: 'upload-line'},
      h('span', {class: 'name', title: file.name}, file.name),
      h('span', {class: 'muted'}, `${bytes(file.size)} · ${method}`)),
    bar, status);
  bar.setAttribute('aria-label', `Progress of ${file.name}`);
  return {row, bar, status};
}

async function runBatch(files, {bizType, limits, serviceId, list, batch, ctx}) {
  const total = files.reduce((sum, f) => sum + f.size, 0) || 1;
  const sent = new Map();
  let finished = 0;
  let failed = 0;
  const batchBar = h('progress', {max: total, value: 0, 'aria-label': 'Progress of the batch'});
  const batchText = h('span', {class: 'status'});
  replace(batch, h('div', {class: 'card batch-card'},
    h('div', {class: 'upload-line'}, h('strong', {}, 'Batch'), batchText), batchBar));
  const tell = () => {
    batchBar.value = [...sent.values()].reduce((a, b) => a + b, 0);
    batchText.textContent = `${finished} of ${files.length} files done` +
      (failed ? `, ${failed} failed` : '') + ` · ${bytes(total)}`;
  };
  tell();
  const queue = files.map((file) => ({file, ...fileRow(file, plan(file, limits))}));
  list.prepend(...queue.map((q) => q.row));
  const worker = async () => {
    while (queue.length) {
      const item = queue.shift();
      const ok = await one(item, {bizType, limits, serviceId, ctx}, (n) => {
        sent.set(item.file, n);
        tell();
      });
      sent.set(item.file, item.file.size);
      finished += ok ? 1 : 0;
      failed += ok ? 0 : 1;
      tell();
    }
  };
  await Promise.all(Array.from({length: FILE_CONCURRENCY}, worker));
  batch.firstChild.classList.add(failed ? 'batch-failed' : 'batch-done');
}

async function one({file, row, bar, status}, {bizType, limits, serviceId, ctx}, onSent) {
  row.classList.add('active');
  try {
    const result = await upload(file, {bizType, limits, serviceId, report: ({sent, phase,
      resumedParts}) => {
      bar.value = sent;
      onSent(sent);
      const resumed = resumedParts ? ` (resumed: ${resumedParts} parts were on the server)` : '';
      status.textContent = phase === 'processing' ? `Processing${resumed}` :
        `Sending ${Math.floor(100 * sent / (file.size || 1))}%${resumed}`;
    }});
    bar.value = file.size;
    row.classList.add('done');
    const resumed = result.resumedParts ? `, resumed with ${result.resumedParts} parts` : '';
    replace(status, `Uploaded${resumed} · `,
      h('a', {href: ctx.link(`objects/${result.uri}`), 'data-route': ''}, 'Open'));
    return true;
  } catch (error) {
    row.classList.add('failed');
    replace(status, h('span', {class: 'error-text', role: 'alert'}, `Refused: ${error.message}`));
    return false;
  } finally {
    row.classList.remove('active');
  }
}
