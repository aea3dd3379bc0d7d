// The console's shell: who is signed in, the navigation, and the router that shows a page
// for each path under the console's base (history API; every such path serves this shell).

import {ApiError, BASE, api} from './api.js';
import {h, notice, replace} from './dom.js';

const PAGES = {
  upload: () => import('./upload.js'),
  library: () => import('./library.js'),
  objects: () => import('./object.js'),
  keys: () => import('./keys.js'),
  status: () => import('./status.js'),
};
const NAV = [['library', 'Library'], ['upload', 'Upload'], ['keys', 'API keys'],
  ['status', 'Status']];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let me = null;
let flashed = null;

const ctx = {
  get me() { return me; },
  link: (path) => `${BASE}/${path}`,
  navigate(path) {
    history.pushState(null, '', ctx.link(path));
    show();
  },
  flash(message) { flashed = message; },
};

/** The page path after the base: "library", "objects/BIZ/x.png". */
function route() {
  const rest = location.pathname.slice(BASE.length).replace(/^\/+/, '');
  return decodeURI(rest) || 'library';
}

function drawNav(page) {
  replace(nav, NAV.map(([path, label]) => h('a', {href: ctx.link(path), 'data-route': '',
    class: 'nav-link', 'aria-current': page === path ? 'page' : false}, label)));
  if (!me) {
    replace(who);
    return;
  }
  const out = h('button', {class: 'btn btn-small', type: 'button', id: 'sign-out'}, 'Sign out');
  out.addEventListener('click', signOut);
  replace(who, h('span', {class: 'who-name', title: me.email || ''}, me.email || `key ${me.id}`),
    out);
}

async function signOut() {
  await api('/api/passport/web/logout/', {method: 'POST'}).catch(() => null);
  me = null;
  ctx.navigate('sign-in');
}

async function signIn() {
  const module = await import('./signin.js');
  drawNav(null);
  nav.hidden = true;
  module.render(main, async () => {
    me = await api('/api/console/me');
    const next = route();
    ctx.navigate(next === 'sign-in' ? 'library' : next);
  });
}

async function show() {
  const path = route();
  if (!me && path !== 'sign-in') {
    try {
      me = await api('/api/console/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signIn();
      replace(main, notice('error', `The console cannot start: ${error.message}`));
      return null;
    }
  }
  if (path === 'sign-in') return me ? ctx.navigate('library') : signIn();
  const [page, ...rest] = path.split('/');
  const load = PAGES[page];
  nav.hidden = false;
  drawNav(page === 'objects' ? 'library' : page);
  const flash = flashed;
  flashed = null;
  try {
    if (!load) throw new ApiError(`there is no page “${path}”`, 404, 40400);
    const module = await load();
    await module.render(main, ctx, rest.join('/'));
    if (flash) main.prepend(notice('ok', flash));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      me = null;
      return signIn();
    }
    replace(main, h('h1', {tabindex: '-1'}, 'Something went wrong'), notice('error',
      error.status === 404 ? `Not found: ${error.message}` : error.message));
  }
  const heading = main.querySelector('h1');
  if (heading) heading.focus({preventScroll: true});
  document.title = `${heading ? heading.textContent : 'imgate'} · imgate console`;
  return null;
}

document.addEventListener('click', (e) => {
  const link = e.target.closest('a[data-route]');
  if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) {
    return;
  }
  e.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  show();
});
window.addEventListener('popstate', show);
show();
