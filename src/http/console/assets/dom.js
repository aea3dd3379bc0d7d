// Building the page: elements are made with h(), and everything that comes from a user,
// a file or the server goes in as text (never parsed as HTML).

/**
 * h('a', {href: '/x', class: 'btn', onclick: f}, 'text', child, ...)
 * Attributes named on* are listeners; `text` sets textContent; false/null are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A message box: kind is 'error', 'ok' or 'info'. Errors are announced. */
export function notice(kind, ...children) {
  return h('div', {class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status'},
    ...children);
}

/** Copies `text` to the clipboard and says so on `button` for a moment. */
export async function copy(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    const field = h('textarea', {class: 'offscreen', readonly: true});
    field.value = text;
    document.body.append(field);
    field.select();
    const done = document.execCommand('copy');
    field.remove();
    button.textContent = done ? 'Copied' : 'Copy failed';
  }
  setTimeout(() => { button.textContent = label; }, 1500);
}

/** Asks a yes/no question in a modal dialog; resolves true when confirmed. */
export function confirmDialog({title, body, confirm, danger = true}) {
  return new Promise((resolve) => {
    const yes = h('button', {class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'yes'},
      confirm);
    const no = h('button', {class: 'btn', value: 'no', autofocus: true}, 'Cancel');
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': 'dialog-title'},
      h('form', {method: 'dialog'},
        h('h2', {id: 'dialog-title'}, title),
        h('p', {}, body),
        h('div', {class: 'actions'}, no, yes)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
