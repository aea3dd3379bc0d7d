// Talking to imgate: JSON calls with the session cookie, and the errors they answer.

/** The console's path, such as "/console", from where this file is served. */
export const BASE = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** A refusal or failure, with the server's own message. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The message of a reply in any of imgate's shapes (Coze, ImageX, upload host). */
export function messageOf(body, status) {
  if (body && typeof body === 'object') {
    if (typeof body.msg === 'string' && body.code !== 0) return body.msg;
    const imagex = body.ResponseMetadata && body.ResponseMetadata.Error;
    if (imagex && imagex.Message) return imagex.Message;
    if (body.error && body.error.message) return body.error.message;
  }
  return `the server answered HTTP ${status}`;
}

/** Calls `path` and answers the reply's `data`; throws ApiError on any refusal. */
export async function api(path, {method = 'GET', body, headers = {}} = {}) {
  const init = {method, headers: {...headers}, credentials: 'same-origin'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(`cannot reach the server (${error.message})`, 0, 0);
  }
  const reply = await response.json().catch(() => null);
  if (!response.ok || (reply && typeof reply.code === 'number' && reply.code !== 0)) {
    throw new ApiError(messageOf(reply, response.status), response.status, reply && reply.code);
  }
  return reply && 'data' in reply ? reply.data : reply;
}

/** GET with query parameters, leaving out empty ones. */
export function query(path, params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return api(text ? `${path}?${text}` : path);
}
