// Drives the imgate console in Debian's Chromium, headless, against a real server that
// tests/api/console_browser.rs started: it signs in with the keyboard, uploads a batch
// (one file large enough to go in parts), resumes a cut-off upload after a reload, looks
// at the library, an object, a template URL, deletes, makes and revokes a key, shows a
// hostile file name as text, and checks that a second user sees nothing of the first's.
// Screenshots of every page, at a laptop's and a phone's width, go to IMGATE_SCREENSHOTS.
// It prints one line per step and, last, a JSON line of what it found; it exits 1 on the
// first failure.

import {createRequire} from 'node:module';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const require = createRequire(join(env('IMGATE_PLAYWRIGHT_DIR'), 'node_modules', '/'));
const {chromium} = require('playwright-core');

const BASE = env('IMGATE_URL');
const CONSOLE = `${BASE}/console`;
const FILES = env('IMGATE_FILES');
const SHOTS = env('IMGATE_SCREENSHOTS');
const USERS = [[env('IMGATE_USER1'), env('IMGATE_PASSWORD1')],
  [env('IMGATE_USER2'), env('IMGATE_PASSWORD2')]];
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
const LAPTOP = {width: 1280, height: 800};
const PHONE = {width: 390, height: 844};

const found = {};
const problems = [];

function step(text) {
  console.log(`step: ${text}`);
}

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

async function shoot(page, name, {fullPage = true} = {}) {
  for (const [size, viewport] of [['laptop', LAPTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    await page.screenshot({path: join(SHOTS, `${name}-${size}.png`), fullPage});
  }
  await page.setViewportSize(LAPTOP);
}

/** Waits until every image matched by `selector` has loaded; answers their natural sizes. */
async function loadedImages(page, selector) {
  await page.waitForFunction((sel) => {
    const images = [...document.querySelectorAll(sel)];
    return images.length > 0 && images.every((img) => img.complete);
  }, selector, {timeout: 60000});
  return page.$$eval(selector, (images) => images.map((img) => [img.naturalWidth,
    img.naturalHeight]));
}

async function signIn(page, [email, password]) {
  await page.goto(`${CONSOLE}/`);
  await page.waitForSelector('#signin-form');
  // With the keyboard only: the email field has focus; Tab to the password; Enter sends.
  check(await page.evaluate(() => document.activeElement.id) === 'email', 'email has focus');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#library-grid, .notice-info');
}

async function uploadBatch(page) {
  step('upload three files, the large one in parts');
  await page.click('a.nav-link[href$="/upload"]');
  await page.waitForSelector('#files', {state: 'attached'});
  await page.setInputFiles('#files', [join(FILES, 'photo.jpg'), join(FILES, 'small.png'),
    join(FILES, 'large.png')]);
  await page.waitForFunction(() => document.querySelectorAll('.upload-row.done').length === 3,
    null, {timeout: 120000});
  const bars = await page.$$eval('progress', (all) => all.map((p) => [p.value, p.max]));
  check(bars.length === 4 && bars.every(([v, m]) => v === m), `every bar is full: ${bars}`);
  const rows = await page.$$eval('.upload-row', (all) => all.map((r) => r.textContent));
  check(rows.some((r) => r.includes('large.png') && r.includes('Chunked, 3 parts')),
    `the large file went in 3 parts: ${rows}`);
  check((await page.textContent('.batch')).includes('3 of 3 files done'), 'batch done');
  await shoot(page, 'upload');
}

async function resumeAfterReload(page) {
  step('cut a chunked upload off, reload, and resume it');
  let sentParts = [];
  const cut = (route) => route.request().url().includes('partNumber=3') ? route.abort() :
    route.continue();
  await page.route('**/api/common/upload/**', cut);
  page.on('request', (request) => {
    const part = /partNumber=(\d+)/.exec(request.url());
    if (part) sentParts.push(Number(part[1]));
  });
  await page.setInputFiles('#files', join(FILES, 'resume.png'));
  await page.waitForSelector('.upload-row.failed', {timeout: 60000});
  check((await page.textContent('.upload-row.failed')).includes('Refused'), 'cut off shows why');
  await page.unroute('**/api/common/upload/**', cut);
  await page.reload();
  await page.waitForSelector('.pending-item');
  check((await page.textContent('.pending')).includes('resume.png'), 'interrupted upload listed');
  sentParts = [];
  await page.setInputFiles('#files', join(FILES, 'resume.png'));
  await page.waitForSelector('.upload-row.done', {timeout: 60000});
  const text = await page.textContent('.upload-row.done');
  check(text.includes('resumed with 2 parts'), `resumed from the server's parts: ${text}`);
  check(JSON.stringify(sentParts) === '[3]', `only the missing part was sent: ${sentParts}`);
  found.resumedParts = 2;
}

async function hostileName(page) {
  step('a hostile file name is shown as text (an icon, to BIZ_BOT_ICON)');
  let dialogs = 0;
  page.on('dialog', (dialog) => { dialogs += 1; dialog.dismiss(); });
  await page.selectOption('#biz-type', '1');
  await page.setInputFiles('#files', join(FILES, XSS_NAME));
  await page.waitForFunction((name) => [...document.querySelectorAll('.upload-row.done .name')]
    .some((el) => el.textContent === name), XSS_NAME, {timeout: 30000});
  check(await page.$('img[src="x"]') === null, 'no element was made from the name');
  check(dialogs === 0, 'no script ran');
}

async function library(page) {
  step('the library shows thumbnails that load');
  await page.click('a.nav-link[href$="/library"]');
  await page.waitForSelector('#library-grid .tile');
  const tiles = await page.$$eval('.tile', (all) => all.map((t) => t.dataset.uri));
  check(tiles.length === 5, `five objects listed: ${tiles}`);
  const sizes = await loadedImages(page, '.tile img');
  check(sizes.length === 5 && sizes.every(([w, h]) => w > 0 && h > 0 && w <= 256 && h <= 256),
    `thumbnails decoded at thumbnail size: ${JSON.stringify(sizes)}`);
  found.library = tiles;
  await shoot(page, 'library');
  return tiles;
}

async function objectPage(page, uri) {
  step('an object shows its variants, and a template URL is built');
  await page.click(`.tile[data-uri="${uri}"] a`);
  await page.waitForSelector('#variants .variant');
  const cards = await page.$$eval('#variants .variant', (all) => all.length);
  check(cards >= 5, `an icon shows its original and stored variants: ${cards}`);
  await loadedImages(page, '#variants img');
  await page.selectOption('#tpl-name', 'crop');
  await page.fill('#tpl-width', '120');
  await page.fill('#tpl-height', '80');
  await page.selectOption('#tpl-format', 'png');
  await page.click('#tpl-form button[type=submit]');
  await page.waitForFunction(() => /× \d+ · /.test(document.querySelector('#tpl-weight')
    ?.textContent || ''), null, {timeout: 30000});
  const [[w, h]] = await loadedImages(page, '#tpl-img');
  check(w === 120 && h === 80, `the crop is 120 x 80: ${w} x ${h}`);
  found.templateUrl = await page.inputValue('#tpl-url');
  check(found.templateUrl.includes('~tplv-imgate-crop:120:80.png'), found.templateUrl);
  await shoot(page, 'object');
}

async function deleteOne(page, uri) {
  step('delete an object, and see it gone');
  const url = await page.evaluate(async (u) => (await (await fetch(`/api/objects/${u}`))
    .json()).data.object.url, uri);
  await page.click('#delete-object');
  await page.waitForSelector('dialog[open]');
  await shoot(page, 'delete-confirm', {fullPage: false});
  await page.click('dialog[open] button[value=yes]');
  await page.waitForSelector('#library-grid .tile');
  check(await page.$(`.tile[data-uri="${uri}"]`) === null, 'the tile is gone');
  check((await page.textContent('main')).includes(`Deleted ${uri}`), 'deletion announced');
  const status = (await fetch(url)).status;
  check(status === 404, `its URL answers 404, not ${status}`);
  found.deleted = uri;
}

async function keys(page) {
  step('create a key, use it, revoke it');
  await page.click('a.nav-link[href$="/keys"]');
  await page.waitForSelector('#key-form');
  await page.fill('#key-name', '<b>nightly</b>');
  await page.check('input[name=scope][value=read]');
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#key-secret');
  const secret = await page.inputValue('#key-secret');
  check(/^pat_[0-9a-f]{64}$/.test(secret), 'the secret is shown once');
  check(await page.textContent('.key-name') === '<b>nightly</b>', 'the key name is text');
  await shoot(page, 'keys');
  const asKey = (path, init = {}) => fetch(`${BASE}${path}`,
    {...init, headers: {...init.headers, Authorization: `Bearer ${secret}`}});
  const listed = await (await asKey('/api/objects')).json();
  check(listed.code === 0 && listed.data.objects.length === 4,
    `the key lists its user's objects: ${JSON.stringify(listed).slice(0, 300)}`);
  const upload = await asKey('/api/bot/upload_file', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({file_head: {file_type: 'png', biz_type: 1},
      data: (await import('node:fs')).readFileSync(join(FILES, 'small.png')).toString('base64')})});
  const uploaded = await upload.json();
  check(upload.status === 200 && uploaded.code === 0, `the key uploads: ${upload.status}`);
  found.keyUpload = uploaded.data.upload_uri;
  await page.click('tr[data-key-id] button.btn-danger');
  await page.click('dialog[open] button[value=yes]');
  await page.waitForSelector('.badge-revoked');
  const refused = await asKey('/api/objects');
  const body = await refused.json();
  check(refused.status === 401 && body.msg.includes('revoked'), `revoked: ${refused.status}`);
  found.keyRefused = body.msg;
}

async function status(page) {
  step('status');
  await page.click('a.nav-link[href$="/status"]');
  await page.waitForSelector('#status-tiles');
  const text = await page.textContent('#status-tiles');
  check(text.includes('Catalog') && text.includes('Processing'), 'status tiles');
  await shoot(page, 'status');
}

async function secondUser(page, firstUris) {
  step('a second user sees none of the first user\'s objects');
  await page.click('#sign-out');
  await page.waitForSelector('#signin-form');
  await shoot(page, 'sign-in');
  await signIn(page, USERS[1]);
  check(await page.$('.tile') === null, 'the library is empty');
  check((await page.textContent('main')).includes('Nothing here yet'), 'it says so');
  for (const uri of firstUris) {
    const answer = await page.evaluate(async (u) => (await fetch(`/api/objects/${u}`)).status,
      uri);
    check(answer === 404, `another user's object is not found: ${answer}`);
    const removed = await page.evaluate(async (u) => (await fetch(`/api/objects/${u}`,
      {method: 'DELETE'})).status, uri);
    check(removed === 404, `nor can it be deleted: ${removed}`);
  }
}

async function main() {
  mkdirSync(SHOTS, {recursive: true});
  const browser = await chromium.launch({
    executablePath: process.env.IMGATE_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({viewport: LAPTOP});
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) {
        problems.push(`CSP: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    step('sign in with the keyboard');
    await page.goto(`${CONSOLE}/`);
    await page.waitForSelector('#signin-form');
    await shoot(page, 'sign-in');
    await signIn(page, USERS[0]);
    await uploadBatch(page);
    await resumeAfterReload(page);
    await hostileName(page);
    const tiles = await library(page);
    const icon = (await page.$$eval('.tile', (all) => all.map((t) => [t.dataset.uri,
      t.textContent]))).find(([, text]) => text.includes('BIZ_BOT_ICON'));
    await objectPage(page, icon ? icon[0] : tiles[0]);
    await page.click('a.nav-link[href$="/library"]');
    await page.waitForSelector('#library-grid .tile');
    await page.click(`.tile[data-uri="${tiles[0]}"] a`);
    await page.waitForSelector('#delete-object');
    await deleteOne(page, tiles[0]);
    await keys(page);
    await status(page);
    await secondUser(page, tiles.slice(1));
    check(problems.length === 0, `no CSP violation or page error: ${problems.join('; ')}`);
    console.log(JSON.stringify(found));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
