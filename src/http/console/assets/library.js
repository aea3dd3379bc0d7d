// The library: the signed-in user's originals, newest first, as a grid of thumbnails,
// filtered by biz type and paged by the server's cursor.

import {api, query} from './api.js';
import {h, notice, replace} from './dom.js';
import {bytes, date, pixels} from './format.js';

const PAGE = 48;

export async function render(main, ctx) {
  const params = new URLSearchParams(location.search);
  const biz = params.get('biz_type') || '';
  const limits = await api('/api/upload/limits');
  const filter = h('select', {id: 'biz-filter', name: 'biz_type'},
    h('option', {value: ''}, 'All biz types'),
    limits.biz_types.map((b) => h('option', {value: b.code, selected: String(b.code) === biz},
      `${b.name} (${b.code})`)));
  filter.addEventListener('change', () => {
    ctx.navigate(filter.value === '' ? 'library' : `library?biz_type=${filter.value}`);
  });
  const grid = h('ul', {class: 'grid', id: 'library-grid'});
  const more = h('button', {class: 'btn', type: 'button', hidden: true}, 'Load more');
  const count = h('span', {class: 'muted', id: 'library-count'});
  replace(main,
    h('div', {class: 'page-head'},
      h('h1', {tabindex: '-1'}, 'Library'),
      h('div', {class: 'toolbar'},
        h('label', {for: 'biz-filter', class: 'sr-only'}, 'Biz type'), filter,
        h('a', {class: 'btn btn-primary', href: ctx.link('upload'), 'data-route': ''}, 'Upload'))),
    count, grid, h('div', {class: 'more'}, more));
  let cursor = null;
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    const page = await query('/api/objects', {biz_type: biz, cursor, limit: PAGE});
    grid.append(...page.objects.map((o) => card(o, ctx)));
    shown += page.objects.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    count.textContent = shown === 0 ? '' :
      `${shown} ${shown === 1 ? 'object' : 'objects'} shown, newest first`;
    if (shown === 0) {
      grid.replaceWith(notice('info', 'Nothing here yet. ',
        h('a', {href: ctx.link('upload'), 'data-route': ''}, 'Upload files'),
        biz ? ' of this biz type, or choose another.' : ' to see them here.'));
    }
  };
  more.addEventListener('click', () => load().catch((e) => more.after(notice('error', e.message))));
  await load();
}

/** The last segment of a URI: what a person calls the file. */
export function fileName(uri) {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

function preview(object) {
  if (object.thumbnail_url) {
    return h('img', {src: object.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async',
      class: 'thumb-img'});
  }
  return h('span', {class: 'thumb-doc', 'aria-hidden': 'true'},
    (object.format || object.kind).toUpperCase());
}

function card(object, ctx) {
  return h('li', {class: 'tile', dataset: {uri: object.uri}},
    h('a', {href: ctx.link(`objects/${object.uri}`), 'data-route': '', class: 'tile-link'},
      h('span', {class: 'thumb'}, preview(object)),
      h('span', {class: 'tile-name', title: object.uri}, fileName(object.uri)),
      h('span', {class: 'tile-meta'},
        h('span', {class: 'badge'}, object.format || object.kind),
        ` ${pixels(object.width, object.height)} · ${bytes(object.size)}`),
      h('span', {class: 'tile-meta muted'}, `${object.biz_name} · ${date(object.created_at)}`)));
}
