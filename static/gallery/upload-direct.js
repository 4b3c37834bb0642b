// Direct uploads (the protocol of /api/uploads, see README.md): a file's bytes go straight to the bucket, a small
// file in one pre-signed POST, a larger one in parts sent a few at a time across all files, each retried with
// backoff and after the network comes back. Sessions in progress are remembered in localStorage, so dropping the
// same file again (same name, size and modification time) after a reload, a crash or a lost connection goes on
// from the parts the bucket already holds. upload.js imports it when the page offers direct uploads.
import { errorText, requestJSON } from "./api.js";

const PARTS_IN_FLIGHT = 4; // across every file of the page
const SIGN_AHEAD = 4; // part URLs asked for at once
const MAX_ATTEMPTS = 6; // per part; time spent offline does not count
const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30000;
const URL_LIFETIME_MS = 10 * 60 * 1000; // the server's part URLs are valid for 15 minutes
const FIRST_POLL_MS = 300;
const LONGEST_POLL_MS = 5000;
const GIVE_UP_POLLING_MS = 10 * 60 * 1000;
const STORE = "photosite.direct-uploads";
const LOST = "The upload failed: the connection was lost. Drop the file again to go on from where it stopped.";

class UploadError extends Error {}

// A semaphore of PARTS_IN_FLIGHT slots, shared by every upload of the page.
let inFlight = 0;
const waiting = [];
function slot() {
  return new Promise((resolve) => {
    if (inFlight < PARTS_IN_FLIGHT) {
      inFlight++;
      resolve();
    } else {
      waiting.push(resolve);
    }
  });
}
function release() {
  const next = waiting.shift();
  if (next) next();
  else inFlight--;
}

const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));
const online = () =>
  navigator.onLine ? Promise.resolve() : new Promise((r) => window.addEventListener("online", r, { once: true }));

// Sessions in progress, by file: {"name\0size\0lastModified": session id}.
function remembered() {
  try {
    return JSON.parse(window.localStorage.getItem(STORE)) || {};
  } catch (ignored) {
    return {}; // unreadable, or storage switched off: nothing to resume
  }
}
const fileKey = (file) => [file.name, file.size, file.lastModified].join("\u0000");
function remember(file, id) {
  const sessions = remembered();
  if (id) sessions[fileKey(file)] = id;
  else delete sessions[fileKey(file)];
  try {
    window.localStorage.setItem(STORE, JSON.stringify(sessions));
  } catch (ignored) {
    // Storage full or off: the upload goes on, it just cannot be resumed.
  }
}

const api = (options, method, url, data) => requestJSON(url, { method, data, csrfToken: options.csrfToken });
const apiError = (answer) => new UploadError(errorText(answer.body, `The upload failed (HTTP ${answer.status}).`));

// One request to the bucket through XMLHttpRequest, for its upload progress; rejects with {status} (0: no answer).
function send(method, url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    xhr.addEventListener("load", () => (xhr.status < 300 ? resolve() : reject({ status: xhr.status })));
    xhr.addEventListener("error", () => reject({ status: 0 }));
    xhr.send(body);
  });
}

// Run attempt() until it succeeds, waiting longer each time; offline, wait for the network instead.
async function withRetries(attempt, onRetry) {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof UploadError) throw error;
      if (!navigator.onLine) {
        onRetry("Waiting for the network…");
        await online();
        tries--;
      } else if (tries >= MAX_ATTEMPTS) {
        throw new UploadError(LOST);
      } else {
        onRetry("Retrying…");
        await sleep(Math.min(FIRST_RETRY_MS * 2 ** (tries - 1), LONGEST_RETRY_MS) * (0.5 + Math.random()));
      }
    }
  }
}

async function resumable(file, options) {
  const id = remembered()[fileKey(file)];
  if (!id) return null;
  const answer = await api(options, "GET", `${options.uploadsUrl}/${id}`);
  const session = answer.status === 200 ? answer.body : null;
  // A one-POST upload starts again: it is one request either way.
  const goesOn = session && session.size === file.size && session.part_size < file.size;
  if (session && (["verifying", "done"].includes(session.state) || (session.state === "uploading" && goesOn))) {
    return session;
  }
  remember(file, null);
  return null;
}

async function sendParts(file, session, options, progress) {
  const count = Math.ceil(file.size / session.part_size);
  const length = (number) => Math.min(session.part_size, file.size - (number - 1) * session.part_size);
  const held = new Set(
    (session.parts_held || []).filter((p) => p.size === length(p.part_number)).map((p) => p.part_number),
  );
  const urls = new Map((session.parts || []).map((p) => [p.part_number, { url: p.url, at: Date.now() }]));
  const fresh = (number) => urls.has(number) && Date.now() - urls.get(number).at < URL_LIFETIME_MS;
  const loaded = new Map([...held].map((number) => [number, length(number)]));
  const report = () => progress([...loaded.values()].reduce((sum, bytes) => sum + bytes, 0) / file.size);
  report();
  const missing = [];
  for (let number = 1; number <= count; number++) if (!held.has(number)) missing.push(number);

  async function urlOf(number) {
    if (!fresh(number)) {
      const batch = [number, ...missing.filter((n) => n > number && !fresh(n)).slice(0, SIGN_AHEAD - 1)];
      const answer = await api(options, "POST", `${options.uploadsUrl}/${session.id}/parts`, { part_numbers: batch });
      if (answer.status !== 200) throw apiError(answer);
      for (const part of answer.body.parts) urls.set(part.part_number, { url: part.url, at: Date.now() });
    }
    return urls.get(number).url;
  }

  let failure = null;
  async function sendPart(number) {
    await slot();
    try {
      if (failure) return;
      const start = (number - 1) * session.part_size;
      const blob = file.slice(start, start + length(number));
      await withRetries(
        async () => {
          const url = await urlOf(number);
          await send("PUT", url, blob, (bytes) => {
            loaded.set(number, bytes);
            report();
          }).catch((error) => {
            loaded.set(number, 0);
            if (error.status === 403) urls.delete(number); // expired: signed again on the next try
            throw error;
          });
        },
        options.onStatus,
      );
      loaded.set(number, length(number));
      report();
    } catch (error) {
      failure = failure || error;
    } finally {
      release();
    }
  }
  await Promise.all(missing.map(sendPart));
  if (failure) throw failure;
}

async function sendWhole(file, session, options, progress) {
  const data = new FormData();
  for (const [name, value] of Object.entries(session.post.fields)) data.append(name, value);
  data.append("file", file);
  await slot();
  try {
    const sending = () => send("POST", session.post.url, data, (bytes) => progress(bytes / file.size));
    await withRetries(sending, options.onStatus);
  } finally {
    release();
  }
}

async function verified(session, options) {
  const started = Date.now();
  for (let delay = FIRST_POLL_MS; session.state === "verifying"; delay = Math.min(delay * 2, LONGEST_POLL_MS)) {
    if (Date.now() - started > GIVE_UP_POLLING_MS) {
      throw new UploadError("Uploaded. Still being checked: the gallery shows it once it is ready.");
    }
    await sleep(delay);
    const asking = () => api(options, "GET", `${options.uploadsUrl}/${session.id}`);
    const answer = await withRetries(asking, options.onStatus);
    if (answer.status === 200) session = answer.body;
  }
  return session;
}

// Upload one file; resolves with the photo once the server has verified it (duplicate: true when the library
// had these bytes already, and that photo is it), or rejects with an UploadError.
// options: uploadsUrl, csrfToken, fields ({title, description, visibility}), onProgress(fraction), onStatus(text).
export async function directUpload(file, options) {
  const progress = (fraction) => options.onProgress(Math.min(1, fraction));
  try {
    let session = await resumable(file, options);
    if (session === null) {
      const declared = { filename: file.name, size: file.size, content_type: file.type, ...options.fields };
      const answer = await api(options, "POST", options.uploadsUrl, declared);
      if (answer.status !== 201) throw apiError(answer);
      session = answer.body;
      if (session.post === null) remember(file, session.id);
    }
    if (session.state === "uploading") {
      options.onStatus("Uploading…");
      await (session.post ? sendWhole : sendParts)(file, session, options, progress);
      options.onStatus("Checking…");
      const completing = () => api(options, "POST", `${options.uploadsUrl}/${session.id}/complete`, {});
      const answer = await withRetries(completing, options.onStatus);
      if (answer.status !== 200 && answer.status !== 202) {
        if (answer.status === 400) remember(file, null); // rejected, its bytes deleted: nothing to go on from
        throw apiError(answer);
      }
      session = answer.body;
    }
    progress(1);
    options.onStatus("Uploaded. Checking the file…");
    session = await verified(session, options);
    remember(file, null);
    if (session.state === "done") return { ...session.photo, duplicate: session.duplicate };
    throw new UploadError(session.error || `The upload was ${session.state}.`);
  } catch (error) {
    if (error instanceof UploadError) throw error;
    throw new UploadError(LOST); // the API itself was out of reach
  }
}
