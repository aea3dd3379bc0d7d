// One object: the original and every stored variant side by side, a template URL builder
// that shows the result and its weight, copy URL, and delete with confirmation.

import {api, query} from './api.js';
import {confirmDialog, copy, h, notice, replace} from './dom.js';
import {bytes, date, pixels} from './format.js';
import {fileName} from './library.js';

const FORMATS = ['webp', 'avif', 'jpeg', 'png', 'image', 'auto'];

export async function render(main, ctx, uri) {
  const {object, variants} = await api(`/api/objects/${encodeURI(uri)}`);
  const copyUrl = h('button', {class: 'btn', type: 'button'}, 'Copy URL');
  copyUrl.addEventListener('click', () => copy(object.url, copyUrl));
  const remove = h('button', {class: 'btn btn-danger', type: 'button', id: 'delete-object'},
    'Delete');
  remove.addEventListener('click', () => deleteObject(object, ctx, remove));
  const signed = ctx.me.private ?
    h('p', {class: 'muted'}, 'This deployment is private: the URLs here are signed and expire.') :
    null;
  replace(main,
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'},
      h('a', {href: ctx.link('library'), 'data-route': ''}, 'Library'), ' / ',
      h('span', {}, fileName(object.uri))),
    h('div', {class: 'page-head'},
      h('h1', {tabindex: '-1', class: 'break'}, fileName(object.uri)),
      h('div', {class: 'toolbar'}, copyUrl,
        h('a', {class: 'btn', href: object.url, target: '_blank', rel: 'noopener'}, 'Open'),
        remove)),
    h('div', {class: 'card facts'}, facts(object)), signed,
    h('h2', {}, object.kind === 'image' ? 'Original and variants' : 'File'),
    h('ul', {class: 'variants', id: 'variants'},
      [object, ...ordered(variants)].map((v) => variantCard(v, v === object))),
    object.kind === 'image' ? builder(object, ctx) : null);
}

/** Stored variants, largest first (WebP before the other format of each size), then
 * those made from template URLs. */
function ordered(variants) {
  const made = (v) => v.uri.includes('~tplv-');
  return [...variants].sort((a, b) => (made(a) - made(b)) || ((b.width || 0) - (a.width || 0)) ||
    ((b.format === 'webp') - (a.format === 'webp')) || a.uri.localeCompare(b.uri));
}

function facts(object) {
  const rows = [
    ['URI', h('code', {class: 'break'}, object.uri)],
    ['Type', `${object.format || '-'} (${object.content_type})`],
    ['Pixels', pixels(object.width, object.height)],
    ['Size', `${bytes(object.size)} (${object.size.toLocaleString('en')} bytes)`],
    ['Biz type', `${object.biz_name} (${object.biz_type})`],
    ['Uploaded', date(object.created_at)],
    ['Uploaded by', object.owner],
  ];
  if (object.frames && object.frames > 1) rows.push(['Frames', String(object.frames)]);
  return h('dl', {class: 'facts-list'},
    rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]));
}

function variantCard(v, original) {
  const copyButton = h('button', {class: 'btn btn-small', type: 'button'}, 'Copy URL');
  copyButton.addEventListener('click', () => copy(v.url, copyButton));
  const label = original ? 'Original' : v.uri.slice(v.uri.indexOf('~') + 1);
  const picture = v.kind === 'image' ?
    h('img', {src: v.url, alt: `${label}, ${pixels(v.width, v.height)}`, loading: 'lazy',
      class: 'variant-img'}) :
    h('span', {class: 'thumb-doc'}, (v.format || v.kind).toUpperCase());
  return h('li', {class: 'variant card'},
    h('span', {class: 'variant-pic checker'}, picture),
    h('span', {class: 'variant-name'}, label),
    h('span', {class: 'muted'},
      `${v.format || v.kind} · ${pixels(v.width, v.height)} · ${bytes(v.size)}`),
    copyButton);
}

async function deleteObject(object, ctx, button) {
  const yes = await confirmDialog({title: 'Delete this object?',
    body: `${object.uri} and every variant of it are removed, and their URLs stop working.`,
    confirm: 'Delete'});
  if (!yes) return;
  button.disabled = true;
  try {
    await api(`/api/objects/${encodeURI(object.uri)}`, {method: 'DELETE'});
    ctx.flash(`Deleted ${object.uri}.`);
    ctx.navigate('library');
  } catch (error) {
    button.disabled = false;
    button.after(notice('error', `Not deleted: ${error.message}`));
  }
}

function builder(object, ctx) {
  const templates = ctx.me.templates;
  const field = (label, control) => h('div', {class: 'field'},
    h('label', {for: control.id}, label), control);
  const template = h('select', {id: 'tpl-name'},
    templates.map((t) => h('option', {value: t.name, selected: t.name === 'resize'},
      t.width ? `${t.name} (${t.op} ${t.width} × ${t.height})` : `${t.name} (${t.op})`)));
  const side = Math.min(256, ctx.me.max_side);
  const width = h('input', {id: 'tpl-width', type: 'number', min: 1, max: ctx.me.max_side,
    value: side, inputmode: 'numeric'});
  const height = h('input', {id: 'tpl-height', type: 'number', min: 1, max: ctx.me.max_side,
    value: side, inputmode: 'numeric'});
  const format = h('select', {id: 'tpl-format'},
    FORMATS.map((f) => h('option', {value: f, selected: f === 'webp'}, f)));
  const result = h('div', {class: 'tpl-result', id: 'tpl-result', 'aria-live': 'polite'});
  const sized = () => {
    const chosen = templates.find((t) => t.name === template.value);
    const takesSize = chosen && chosen.op !== 'identity' && !chosen.width;
    width.disabled = !takesSize;
    height.disabled = !takesSize;
    return takesSize;
  };
  template.addEventListener('change', sized);
  sized();
  const form = h('form', {class: 'tpl-form', id: 'tpl-form'},
    field('Template', template), field('Width', width), field('Height', height),
    field('Format', format),
    h('div', {class: 'field'}, h('span', {class: 'label-gap', 'aria-hidden': 'true'}, ' '),
      h('button', {class: 'btn btn-primary', type: 'submit'}, 'Build URL')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = sized() ? `:${width.value}:${height.value}` : '';
    const uri = `${object.uri}~tplv-${ctx.me.service_id}-${template.value}${params}.${format.value}`;
    build(uri, result).catch((error) => replace(result, notice('error', error.message)));
  });
  return h('section', {class: 'card builder'},
    h('h2', {}, 'Template URL'),
    h('p', {class: 'muted'}, 'Variants are made on the first request and stored.'),
    form, result);
}

async function build(uri, result) {
  replace(result, h('p', {class: 'muted'}, 'Making the variant…'));
  const {url} = await query('/api/objects/url', {uri});
  const urlField = h('input', {type: 'text', readonly: true, value: url, id: 'tpl-url',
    class: 'url-field', 'aria-label': 'Template URL'});
  const copyButton = h('button', {class: 'btn', type: 'button'}, 'Copy');
  copyButton.addEventListener('click', () => copy(url, copyButton));
  const weight = h('span', {id: 'tpl-weight'});
  const img = h('img', {alt: 'The template result', id: 'tpl-img', class: 'tpl-img'});
  let size = null;
  try {
    const response = await fetch(url, {credentials: 'omit'});
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body && body.msg ? body.msg : `HTTP ${response.status}`);
    }
    const blob = await response.blob();
    size = blob.size;
    img.src = URL.createObjectURL(blob);
  } catch (error) {
    if (error instanceof TypeError) img.src = url;
    else throw error;
  }
  img.addEventListener('load', () => {
    weight.textContent = `${img.naturalWidth} × ${img.naturalHeight}` +
      (size === null ? '' : ` · ${bytes(size)}`);
  });
  replace(result,
    h('div', {class: 'url-row'}, urlField, copyButton,
      h('a', {class: 'btn', href: url, target: '_blank', rel: 'noopener'}, 'Open')),
    h('div', {class: 'tpl-preview checker'}, img),
    h('p', {}, h('strong', {}, 'Result: '), weight));
}
