// Which files the library has already, before any is sent: each file's SHA-256 (SubtleCrypto, which browsers
// offer over HTTPS and on localhost), then one POST /api/photos/check per CHECKS_PER_REQUEST files.
import { requestJSON } from "./api.js";

const CHECKS_PER_REQUEST = 1000;

export const canCheck = () => Boolean(window.crypto && crypto.subtle);

// Resolves with, for each file, the photo the library holds with its bytes ({photo_id, trashed}) or undefined.
// Any failure (no SubtleCrypto, the check refused) only means no match: the files are sent, and the server
// answers a duplicate itself.
export async function photosHeldAlready(files, checkUrl, csrfToken) {
  const checksums = [];
  let results = [];
  try {
    // One file at a time: each is read whole into memory to be hashed.
    for (const file of files) checksums.push(hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer())));
    for (let start = 0; start < checksums.length; start += CHECKS_PER_REQUEST) {
      const data = { checksums: checksums.slice(start, start + CHECKS_PER_REQUEST) };
      const answer = await requestJSON(checkUrl, { data, csrfToken });
      if (answer.ok) results = results.concat(answer.body.results);
    }
  } catch (ignored) {
    return files.map(() => undefined);
  }
  const byChecksum = new Map(results.map((result) => [result.checksum, result]));
  return files.map((file, at) => byChecksum.get(checksums[at]));
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
