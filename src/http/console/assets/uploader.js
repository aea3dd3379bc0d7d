// Sending one file: by the Base64 method when the server's Base64 limit allows, else by
// the ImageX flow in parts sent in parallel. A chunked upload is remembered in
// localStorage, so after a reload the same file resumes: the server is asked which parts
// it has, and only the others are sent.

import {ApiError, messageOf} from './api.js';
import {crc32} from './crc32.js';
import {extension} from './format.js';

const MiB = 1024 * 1024;
/** Parts of this size, unless the server's limits ask for others. */
const PART_BYTES = 5 * MiB;
/** Parts in flight at once for one file. */
const PART_CONCURRENCY = 4;
/** Attempts of one part before the file fails. */
const PART_ATTEMPTS = 3;
const STORE_PREFIX = 'imgate.upload.';
/** Remembered uploads older than this are forgotten (the server's sessions are shorter). */
const REMEMBER_MS = 24 * 3600 * 1000;

const ACTIONS = '/api/common/upload/apply_upload_action';
const HOST = '/api/common/upload/';

/** One request with upload progress; resolves {status, body} whatever the status. */
function send({method, url, headers = {}, body = null, onProgress}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let parsed = null;
      try { parsed = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      resolve({status: xhr.status, body: parsed});
    };
    xhr.onerror = () => reject(new ApiError('the connection failed', 0, 0));
    xhr.onabort = () => reject(new ApiError('the upload was cancelled', 0, 0));
    xhr.send(body);
  });
}

/** The reply's body, or an ApiError with the server's message. */
function expectOk(reply) {
  const body = reply.body;
  const failed = reply.status < 200 || reply.status >= 300 ||
    (body && typeof body.code === 'number' && body.code !== 0) ||
    (body && typeof body.success === 'number' && body.success !== 0);
  if (failed) throw new ApiError(messageOf(body, reply.status), reply.status, body && body.code);
  return body;
}

/** How a file will go, given the server's limits: {method, partBytes, parts}. */
export function plan(file, limits) {
  if (file.size <= limits.base64.max_bytes) return {method: 'base64', parts: 1};
  const ix = limits.imagex;
  let partBytes = Math.min(PART_BYTES, ix.max_part_bytes);
  partBytes = Math.max(partBytes, Math.ceil(file.size / ix.max_parts));
  return {method: 'chunked', partBytes, parts: Math.max(1, Math.ceil(file.size / partBytes))};
}

/**
 * Uploads `file` to `bizType`. `report({sent, phase})` is called as bytes go out.
 * Answers {uri, url, method, resumedParts}.
 */
export async function upload(file, {bizType, limits, serviceId, report}) {
  const how = plan(file, limits);
  if (how.method === 'base64') return base64(file, bizType, report);
  return chunked(file, {bizType, serviceId, how, report});
}

function dataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new ApiError(`cannot read ${file.name}`, 0, 0));
    reader.readAsDataURL(file);
  });
}

async function base64(file, bizType, report) {
  report({sent: 0, phase: 'reading'});
  const data = await dataUrl(file);
  const fileType = extension(file.name) || (file.type.split('/')[1] || '');
  const body = JSON.stringify({file_head: {file_type: fileType, biz_type: bizType}, data});
  const total = body.length;
  const reply = await send({
    method: 'POST', url: '/api/bot/upload_file', body,
    headers: {'Content-Type': 'application/json'},
    onProgress: (loaded) => report({sent: Math.round(file.size * loaded / total),
      phase: loaded >= total ? 'processing' : 'sending'}),
  });
  const answer = expectOk(reply).data;
  return {uri: answer.upload_uri, url: answer.upload_url, method: 'base64', resumedParts: 0};
}

/** The localStorage key of a file's chunked upload. */
function memoryKey(file, bizType) {
  return `${STORE_PREFIX}${bizType}:${file.size}:${file.lastModified}:${file.name}`;
}

/** Chunked uploads cut off earlier: [{key, name, size, bizType, parts, savedAt}]. */
export function interrupted() {
  const found = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(STORE_PREFIX)) continue;
    try {
      const entry = JSON.parse(localStorage.getItem(key));
      if (Date.now() - entry.savedAt > REMEMBER_MS) localStorage.removeItem(key);
      else found.push({key, ...entry});
    } catch {
      localStorage.removeItem(key);
    }
  }
  return found;
}

export function forget(key) {
  localStorage.removeItem(key);
}

async function apply(file, bizType, serviceId) {
  const ext = extension(file.name);
  const params = new URLSearchParams({Action: 'ApplyImageUpload', Version: '2018-08-01',
    ServiceId: serviceId, FileSize: String(file.size), BizType: String(bizType)});
  if (ext) params.set('FileExtension', `.${ext}`);
  const body = expectOk(await send({method: 'GET', url: `${ACTIONS}?${params}`}));
  const address = body.Result.UploadAddress;
  const info = address.StoreInfos[0];
  return {storeUri: info.StoreUri, auth: info.Auth, sessionKey: address.SessionKey};
}

function hostUrl(storeUri, query) {
  return `${HOST}${storeUri}?${query}`;
}

/** The parts the server has of a remembered upload, or null when it is gone. */
async function partsOnServer(entry) {
  try {
    const reply = await send({method: 'GET',
      url: hostUrl(entry.storeUri, `uploadID=${encodeURIComponent(entry.uploadId)}`),
      headers: {Authorization: entry.auth}});
    const body = expectOk(reply);
    return new Map(body.payload.partList.map((p) => [p.partNumber, p.crc32]));
  } catch {
    return null;
  }
}

/** A remembered upload of this file that the server still has, or a new one. */
async function session(file, {bizType, serviceId, how}) {
  const key = memoryKey(file, bizType);
  const saved = localStorage.getItem(key);
  if (saved) {
    const entry = JSON.parse(saved);
    const have = entry.partBytes === how.partBytes ? await partsOnServer(entry) : null;
    if (have) return {key, entry, have};
    localStorage.removeItem(key);
  }
  const applied = await apply(file, bizType, serviceId);
  const init = expectOk(await send({method: 'POST', url: hostUrl(applied.storeUri, 'uploads'),
    headers: {Authorization: applied.auth}}));
  const entry = {...applied, uploadId: init.payload.uploadID, partBytes: how.partBytes,
    name: file.name, size: file.size, bizType, parts: how.parts, savedAt: Date.now()};
  localStorage.setItem(key, JSON.stringify(entry));
  return {key, entry, have: new Map()};
}

async function sendPart(file, entry, number, onProgress) {
  const start = (number - 1) * entry.partBytes;
  const bytes = new Uint8Array(await file.slice(start, start + entry.partBytes).arrayBuffer());
  const crc = crc32(bytes);
  const url = hostUrl(entry.storeUri,
    `partNumber=${number}&uploadID=${encodeURIComponent(entry.uploadId)}`);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const reply = await send({method: 'POST', url, body: bytes, onProgress,
        headers: {Authorization: entry.auth, 'Content-CRC32': crc,
          'Content-Type': 'application/octet-stream'}});
      expectOk(reply);
      return crc;
    } catch (error) {
      const retryable = error.status === 0 || error.status >= 500;
      if (!retryable || attempt >= PART_ATTEMPTS) throw error;
      onProgress(0);
    }
  }
}

async function chunked(file, {bizType, serviceId, how, report}) {
  const {key, entry, have} = await session(file, {bizType, serviceId, how});
  const resumedParts = have.size;
  const crcs = new Map(have);
  const partSize = (n) => Math.min(entry.partBytes, file.size - (n - 1) * entry.partBytes);
  let done = [...have.keys()].reduce((sum, n) => sum + partSize(n), 0);
  const inFlight = new Map();
  const tell = () => {
    const moving = [...inFlight.values()].reduce((a, b) => a + b, 0);
    report({sent: Math.min(file.size, done + moving), phase: 'sending', resumedParts});
  };
  tell();
  const missing = [];
  for (let n = 1; n <= entry.parts; n += 1) if (!have.has(n)) missing.push(n);
  const worker = async () => {
    while (missing.length) {
      const number = missing.shift();
      inFlight.set(number, 0);
      const crc = await sendPart(file, entry, number, (loaded) => {
        inFlight.set(number, loaded);
        tell();
      });
      inFlight.delete(number);
      crcs.set(number, crc);
      done += partSize(number);
      tell();
    }
  };
  await Promise.all(Array.from({length: PART_CONCURRENCY}, worker));
  report({sent: file.size, phase: 'processing', resumedParts});
  const list = [...crcs.keys()].sort((a, b) => a - b).map((n) => `${n}:${crcs.get(n)}`).join(',');
  expectOk(await send({method: 'POST',
    url: hostUrl(entry.storeUri, `uploadID=${encodeURIComponent(entry.uploadId)}`),
    headers: {Authorization: entry.auth, 'Content-Type': 'text/plain'}, body: list}));
  const commitParams = new URLSearchParams({Action: 'CommitImageUpload', Version: '2018-08-01',
    ServiceId: serviceId});
  const committed = expectOk(await send({method: 'POST', url: `${ACTIONS}?${commitParams}`,
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({SessionKey: entry.sessionKey, SuccessOids: [entry.storeUri]})}));
  localStorage.removeItem(key);
  const result = committed.Result.PluginResult[0];
  return {uri: result.ImageUri, url: result.ImageUrl, method: 'chunked', resumedParts};
}
