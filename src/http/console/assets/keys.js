// API keys: the signed-in user's keys (never their secrets), a form to make one (its
// secret shown once, with a copy button) and revoking.

import {api} from './api.js';
import {confirmDialog, copy, h, notice, replace} from './dom.js';
import {date} from './format.js';

const EXPIRY = [['', 'Never'], ['1d', '1 day'], ['7d', '7 days'], ['30d', '30 days'],
  ['90d', '90 days'], ['52w', '1 year']];

export async function render(main) {
  const limits = await api('/api/upload/limits');
  const table = h('div', {id: 'keys-table'});
  const created = h('div', {id: 'key-created'});
  replace(main,
    h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, 'API keys')),
    h('p', {class: 'muted'}, 'Keys let scripts upload and read as you. A key reads only your ' +
      'objects; what it uploads appears in your library.'),
    created, form(limits, created, () => refresh(table)),
    h('h2', {}, 'Your keys'), table);
  await refresh(table);
}

async function refresh(table) {
  const {keys} = await api('/api/keys');
  if (!keys.length) {
    replace(table, notice('info', 'No keys yet.'));
    return;
  }
  replace(table, h('table', {class: 'keys'},
    h('thead', {}, h('tr', {}, ['Name', 'Key', 'Scopes', 'Biz types', 'Created', 'Expires',
      'Status', ''].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, keys.map((key) => row(key, table)))));
}

function row(key, table) {
  const revoke = key.status === 'active' ?
    h('button', {class: 'btn btn-small btn-danger', type: 'button'}, 'Revoke') : null;
  if (revoke) {
    revoke.addEventListener('click', async () => {
      const yes = await confirmDialog({title: `Revoke “${key.name}”?`,
        body: 'Scripts using this key are refused from now on. This cannot be undone.',
        confirm: 'Revoke'});
      if (!yes) return;
      await api(`/api/keys/${key.id}`, {method: 'DELETE'});
      await refresh(table);
    });
  }
  const biz = key.biz_types ? key.biz_types.map((b) => b.name).join(', ') : 'all';
  const cell = (label, ...content) => h('td', {'data-label': label}, ...content);
  return h('tr', {dataset: {keyId: key.id}},
    cell('Name', h('span', {class: 'key-name'}, key.name)),
    cell('Key', h('code', {}, `${key.prefix}…`)),
    cell('Scopes', key.scopes.join(', ')),
    cell('Biz types', biz),
    cell('Created', date(key.created_at)),
    cell('Expires', key.expires_at ? date(key.expires_at) : 'never'),
    cell('Status', h('span', {class: `badge badge-${key.status}`}, key.status)),
    cell('', revoke));
}

function form(limits, created, refreshed) {
  const name = h('input', {id: 'key-name', name: 'name', required: true, maxlength: 100,
    autocomplete: 'off', placeholder: 'e.g. nightly-import'});
  const scope = (value, label, checked) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', name: 'scope', value, checked}), ` ${label}`);
  const expiry = h('select', {id: 'key-expiry'},
    EXPIRY.map(([value, label]) => h('option', {value}, label)));
  const bizBoxes = limits.biz_types.map((b) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', name: 'biz', value: b.code}), ` ${b.name}`));
  const error = h('div');
  const el = h('form', {class: 'card key-form', id: 'key-form'},
    h('h2', {}, 'New key'),
    h('div', {class: 'field'}, h('label', {for: 'key-name'}, 'Name'), name),
    h('fieldset', {}, h('legend', {}, 'Scopes'),
      scope('upload', 'upload: upload files', true),
      scope('read', 'read: list and read your objects', false)),
    h('fieldset', {}, h('legend', {}, 'Biz types it may upload to (none checked: all)'),
      h('div', {class: 'checks'}, bizBoxes)),
    h('div', {class: 'field'}, h('label', {for: 'key-expiry'}, 'Expires'), expiry),
    error,
    h('button', {class: 'btn btn-primary', type: 'submit'}, 'Create key'));
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    const checked = (n) => [...el.querySelectorAll(`input[name=${n}]:checked`)]
      .map((i) => i.value);
    const biz = checked('biz').map(Number);
    try {
      const made = await api('/api/keys', {method: 'POST', body: {name: name.value,
        scopes: checked('scope'), biz_types: biz.length ? biz : null,
        expires_in: expiry.value || null}});
      replace(error);
      el.reset();
      showSecret(created, made);
      await refreshed();
    } catch (failure) {
      replace(error, notice('error', failure.message));
    }
  });
  return el;
}

function showSecret(created, made) {
  const field = h('input', {type: 'text', readonly: true, value: made.secret, id: 'key-secret',
    class: 'url-field', 'aria-label': 'The new key'});
  const copyButton = h('button', {class: 'btn btn-primary', type: 'button'}, 'Copy');
  copyButton.addEventListener('click', () => copy(made.secret, copyButton));
  const done = h('button', {class: 'btn', type: 'button'}, 'Done');
  done.addEventListener('click', () => replace(created));
  replace(created, notice('ok',
    h('strong', {}, `Key “${made.key.name}” created. `),
    'Copy it now: this is the only time it is shown.',
    h('div', {class: 'url-row'}, field, copyButton, done)));
  field.focus();
  field.select();
}
