// The upload page's drop zone: several files at once, each with a preview, a progress bar and its own result.
// Each file goes straight to the bucket (upload-direct.js) when the page offers it, else to POST /api/photos.
// Files already in the library (the same SHA-256: upload-check.js) are marked as such and not sent.
// Without this script the page's form still works as a plain multipart POST of one photo to /upload/.
import { errorText } from "./api.js";
import { canCheck, photosHeldAlready } from "./upload-check.js";

const form = document.getElementById("upload-form");
if (form) setUpDropZone(form);

function setUpDropZone(form) {
  const dropzone = document.getElementById("dropzone");
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const apiUrl = form.dataset.apiUrl;
  // Set when the bucket takes direct uploads from this page, which then loads upload-direct.js.
  const uploadsUrl = form.dataset.uploadsUrl;
  const direct = Boolean(uploadsUrl);
  const directUpload = direct && import("./upload-direct.js").then((module) => module.directUpload);
  const checkUrl = form.dataset.checkUrl;
  const maxBytes = Number(form.dataset.maxBytes);
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const SIMULTANEOUS_UPLOADS = 2;

  const queue = [];
  let running = 0;
  let uploaded = 0;
  let failed = 0;
  let unsettled = 0;
  let known = 0;

  form.classList.add("js-upload");
  input.multiple = true;
  const title = dropzone.querySelector(".dropzone__title");
  title.textContent = title.dataset.jsText;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The title and description go with every file added after them. They stay where they are, under the drop
  // zone, so nothing moves when this script starts.
  document.getElementById("id_title_helptext").textContent =
    "Given to each photo you add next; leave it empty to use each file's name.";
  if (direct) document.getElementById("id_photo_helptext").textContent = form.dataset.directHelp;

  function errorMessage(xhr) {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (ignored) {
      // Not JSON: a proxy's error page, say.
    }
    return errorText(body, `The upload failed (HTTP ${xhr.status}).`);
  }

  function addItem(file) {
    const item = element("li", "upload-item");
    const preview = element("div", "upload-item__preview");
    if (file.type.startsWith("image/")) {
      const img = element("img");
      img.alt = "";
      img.src = URL.createObjectURL(file);
      img.addEventListener("load", () => URL.revokeObjectURL(img.src));
      img.addEventListener("error", () => img.remove());
      preview.append(img);
    }
    const body = element("div", "upload-item__body");
    const name = element("p", "upload-item__name", file.name);
    const progress = element("progress", "upload-item__progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Upload progress of ${file.name}`);
    const status = element("p", "upload-item__status", "Waiting…");
    body.append(name, progress, status);
    item.append(preview, body);
    list.append(item);
    return { file, item, preview, progress, status };
  }

  function settle(entry, ok, message, link) {
    unsettled--;
    entry.item.classList.add(ok ? "upload-item--done" : "upload-item--failed");
    entry.status.textContent = message;
    if (ok) {
      entry.progress.value = 100;
      entry.status.append(" ", link);
      uploaded++;
    } else {
      failed++;
    }
    summarize();
  }

  // A photo as POST /api/photos answers it (or a direct upload's): new, or one the library had already.
  function uploadedAs(entry, photo) {
    if (photo.duplicate) {
      settleKnown(entry, photo.id, photo.trashed_at !== null);
      return;
    }
    const link = element("a", null, `View “${photo.title || "photo"}”`);
    link.href = `/photos/${photo.id}/`;
    settle(entry, true, photo.state === "ready" ? "Uploaded." : "Uploaded. Processing…", link);
    showWhenProcessed(entry, photo, link);
  }

  function typedFields() {
    const fields = {};
    for (const field of ["title", "description", "visibility"]) {
      const value = form.elements[field].value.trim();
      if (value) fields[field] = value;
    }
    return fields;
  }

  function showProgress(entry, fraction) {
    entry.progress.value = Math.round(fraction * 100);
    entry.status.textContent = `Uploading… ${entry.progress.value}%`;
  }

  // The photo the library already has: a link to it, and nothing sent.
  function settleKnown(entry, photoId, trashed) {
    unsettled--;
    entry.item.classList.add("upload-item--known");
    entry.progress.value = 100;
    entry.status.textContent = trashed ? "Already in your library, in the trash." : "Already in your library.";
    const link = element("a", null, "View it");
    link.href = `/photos/${photoId}/`;
    entry.status.append(" ", link);
    known++;
  }

  // The files the library has already are marked as such; the others wait for their turn.
  async function checkThenQueue(entries) {
    let matches = [];
    if (checkUrl && canCheck()) {
      for (const entry of entries) entry.status.textContent = "Checking…";
      matches = await photosHeldAlready(entries.map((entry) => entry.file), checkUrl, csrfToken);
    }
    for (const [at, entry] of entries.entries()) {
      const match = matches[at];
      if (match) {
        settleKnown(entry, match.photo_id, match.trashed);
      } else {
        entry.status.textContent = "Waiting…";
        queue.push(entry);
      }
    }
    next();
  }

  // The server's thumbnail replaces the local preview once a worker has made it: it is what the gallery shows,
  // and it exists for files this browser cannot show itself (HEIC in most browsers). Until then the photo's
  // API URL is asked again, less and less often: plain requests, which work behind any proxy.
  const FIRST_POLL_MS = 300;
  const LONGEST_POLL_MS = 5000;
  const GIVE_UP_AFTER_MS = 10 * 60 * 1000;

  function showWhenProcessed(entry, photo, link, delay = FIRST_POLL_MS, started = Date.now()) {
    if (photo.state === "ready") {
      const thumbnail = element("img");
      thumbnail.alt = "";
      thumbnail.src = photo.thumbnail_url;
      entry.preview.replaceChildren(thumbnail);
      entry.status.replaceChildren("Uploaded. ", link);
      return;
    }
    if (photo.state === "failed") {
      entry.item.classList.replace("upload-item--done", "upload-item--failed");
      entry.status.replaceChildren(`Uploaded, but it could not be processed: ${photo.processing_error} `, link);
      return;
    }
    if (Date.now() - started > GIVE_UP_AFTER_MS) {
      entry.status.replaceChildren("Uploaded. Still processing: the gallery shows it once it is ready. ", link);
      return;
    }
    window.setTimeout(() => {
      const poll = new XMLHttpRequest();
      poll.open("GET", `${apiUrl}/${photo.id}`);
      poll.setRequestHeader("Accept", "application/json");
      poll.addEventListener("loadend", () => {
        let latest = photo;
        if (poll.status === 200) {
          try {
            latest = JSON.parse(poll.responseText);
          } catch (ignored) {
            // Not JSON: a proxy's error page; ask again later.
          }
        }
        showWhenProcessed(entry, latest, link, Math.min(delay * 2, LONGEST_POLL_MS), started);
      });
      poll.send();
    }, delay);
  }

  // A file's bytes straight to the bucket: its slot is free for the next file once they are sent, while the
  // server verifies them.
  function sendDirect(entry) {
    let sending = true;
    const sent = () => {
      if (sending) {
        sending = false;
        running--;
        next();
      }
    };
    directUpload
      .then((upload) =>
        upload(entry.file, {
          uploadsUrl,
          csrfToken,
          fields: typedFields(),
          onProgress: (fraction) => showProgress(entry, fraction),
          onStatus: (text) => {
            if (text.startsWith("Uploaded")) sent();
            entry.status.textContent = text;
          },
        }),
      )
      .then(
        (photo) => uploadedAs(entry, photo),
        (error) => settle(entry, false, error.message),
      )
      .finally(sent);
  }

  function send(entry) {
    running++;
    entry.status.textContent = "Uploading…";
    if (direct) {
      sendDirect(entry);
      return;
    }
    const data = new FormData();
    data.append("photo", entry.file);
    for (const [field, value] of Object.entries(typedFields())) data.append(field, value);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) showProgress(entry, event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201 || (xhr.status === 200 && JSON.parse(xhr.responseText).duplicate)) {
        uploadedAs(entry, JSON.parse(xhr.responseText));
      } else {
        settle(entry, false, errorMessage(xhr));
      }
    });
    xhr.addEventListener("error", () => settle(entry, false, "The upload failed: the connection was lost."));
    xhr.addEventListener("loadend", () => {
      running--;
      next();
    });
    xhr.send(data);
  }

  function next() {
    while (running < SIMULTANEOUS_UPLOADS && queue.length) {
      send(queue.shift());
    }
    summarize();
  }

  function summarize() {
    if (running === 0 && !queue.length && !unsettled) {
      summary.hidden = false;
      const already = known ? `, ${known} already in your library` : "";
      summary.textContent = `${uploaded} uploaded${already}${failed ? `, ${failed} failed` : ""}. `;
      const link = element("a", null, "See the gallery");
      link.href = "/";
      summary.append(link);
    }
  }

  function accept(files) {
    summary.hidden = true;
    unsettled += files.length;
    const toCheck = [];
    for (const file of files) {
      const entry = addItem(file);
      if (file.size > maxBytes) {
        // The server would refuse it too, but only after the browser had sent all of it.
        settle(entry, false, `The file is too large: the limit is ${form.dataset.maxMb} MB.`);
      } else {
        toCheck.push(entry);
      }
    }
    checkThenQueue(toCheck);
  }

  input.addEventListener("change", () => {
    accept(Array.from(input.files));
    input.value = "";
  });

  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dropzone--over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    dropzone.addEventListener(type, () => dropzone.classList.remove("dropzone--over"));
  }
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    accept(Array.from(event.dataTransfer.files));
  });
  // Pressing Enter in the title or description must not submit the plain form in this mode.
  form.addEventListener("submit", (event) => event.preventDefault());
}
