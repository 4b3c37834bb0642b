// Selecting photos in a grid: the tiles' checkboxes belong to the form#selection toolbar, which works without
// this script (each button posts to a page view). With it the toolbar counts the selection, offers "Select all"
// and "Clear"; Shift-click or Shift+Space selects a range, Escape clears; in selection mode a click on a tile
// toggles it instead of opening it. The selection is kept per list (its address less the cursor) in
// sessionStorage, so it spans pages. Favourite, Unfavourite and Move to trash go to the API's bulk endpoints and
// change the page in place; the album actions post the form, with the photos ticked on other pages.
// Other scripts read the selection from the "photos:selection" event on document (detail.ids).
import { requestJSON } from "./api.js";

const toolbar = document.getElementById("selection");
const grid = document.getElementById("photo-grid");
if (toolbar && grid) setUpSelection(toolbar, grid);

function setUpSelection(toolbar, grid) {
  const count = document.getElementById("selection-count");
  const status = document.getElementById("selection-status");
  const csrfToken = toolbar.querySelector("input[name=csrfmiddlewaretoken]").value;
  const boxes = () => Array.from(grid.querySelectorAll(".tile__check"));
  const actions = () => Array.from(toolbar.querySelectorAll("[data-needs-selection]"));
  const tileOf = (id) => grid.querySelector(`.tile[data-photo-id="${Number(id)}"]`);
  const plural = (n) => `${n} photo${n === 1 ? "" : "s"}`;
  const storeKey = (() => {
    const params = new URLSearchParams(location.search);
    params.delete("cursor");
    return `photos:selection:${location.pathname}?${params}`;
  })();
  const postedKey = `${storeKey}:posted`;
  const selected = new Set();
  let anchor = null;

  function stored() {
    try {
      // A form posted from this list comes back here: kept if it failed, cleared if it did what it said.
      if (sessionStorage.getItem(postedKey)) {
        sessionStorage.removeItem(postedKey);
        if (!document.querySelector(".message--error")) sessionStorage.removeItem(storeKey);
      }
      return JSON.parse(sessionStorage.getItem(storeKey)) || [];
    } catch {
      return []; // storage refused or spoilt: the selection lasts as long as the page
    }
  }

  function store(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch {
      // as above
    }
  }

  function button(text, handler) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "button button--quiet";
    node.textContent = text;
    node.addEventListener("click", handler);
    return node;
  }

  const selectAll = button("Select all", () => setAll(true));
  const clear = button("Clear", () => setAll(false));
  toolbar.insertBefore(selectAll, status);
  toolbar.insertBefore(clear, status);
  toolbar.classList.add("selection--js");

  function mark(box) {
    box.closest(".tile").classList.toggle("tile--selected", box.checked);
  }

  function setBox(box, checked) {
    box.checked = checked;
    if (checked) selected.add(box.value);
    else selected.delete(box.value);
    mark(box);
  }

  function setAll(checked) {
    for (const box of boxes()) setBox(box, checked);
    if (!checked) selected.clear();
    update();
  }

  function update() {
    const n = selected.size;
    const here = boxes();
    const elsewhere = n - here.filter((box) => box.checked).length;
    const others = elsewhere ? `, ${elsewhere} on ${elsewhere === 1 ? "another page" : "other pages"}` : "";
    count.textContent = n ? `${plural(n)} selected${others}` : "Tick photos to act on them.";
    for (const action of actions()) action.disabled = n === 0;
    clear.hidden = n === 0;
    selectAll.hidden = here.every((box) => box.checked);
    grid.classList.toggle("grid--selecting", n > 0);
    toolbar.classList.toggle("selection--active", n > 0);
    store(storeKey, n ? JSON.stringify([...selected]) : null);
    document.dispatchEvent(new CustomEvent("photos:selection", { detail: { ids: [...selected].map(Number) } }));
  }

  // The box has its new state; with `ranged`, every box from the last one clicked to it takes that state too.
  function toggled(box, ranged) {
    const all = boxes();
    const from = all.indexOf(anchor);
    if (ranged && from !== -1 && anchor !== box) {
      const to = all.indexOf(box);
      for (const other of all.slice(Math.min(from, to), Math.max(from, to) + 1)) setBox(other, box.checked);
    } else {
      setBox(box, box.checked);
    }
    anchor = box;
    update();
  }

  grid.addEventListener("click", (event) => {
    const box = event.target.closest(".tile__check");
    if (box) {
      toggled(box, event.shiftKey); // Space on a box clicks it, with Shift held for Shift+Space
      return;
    }
    // In selection mode a tile's link toggles it; viewer.js leaves a click whose default was prevented alone.
    const link = event.target.closest(".tile__link");
    const tileBox = link && link.closest(".tile").querySelector(".tile__check");
    if (!tileBox || selected.size === 0) return;
    event.preventDefault();
    tileBox.checked = !tileBox.checked;
    toggled(tileBox, event.shiftKey);
  });

  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]")) return; // the viewer's keys
    if (event.key === "Escape" && selected.size) setAll(false);
  });

  toolbar.addEventListener("submit", (event) => {
    const action = event.submitter;
    if (action && action.dataset.apiUrl) {
      event.preventDefault();
      act(action);
      return;
    }
    // A plain post (the album actions) sends the photos ticked on other pages too.
    const here = new Set(boxes().map((box) => box.value));
    for (const input of toolbar.querySelectorAll("input[data-elsewhere]")) input.remove(); // from a post before
    for (const id of selected) if (!here.has(id)) toolbar.append(hiddenPhoto(id));
    store(postedKey, "1");
  });

  function hiddenPhoto(id) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "photo";
    input.value = id;
    input.dataset.elsewhere = "";
    return input;
  }

  function say(text, isError, undo) {
    status.replaceChildren(text);
    status.classList.toggle("selection__status--error", Boolean(isError));
    if (undo) status.append(" ", button("Undo", undo));
  }

  async function post(url, ids) {
    const answer = await requestJSON(url, { data: { photo_ids: ids }, csrfToken });
    if (!answer.ok) throw refusal(answer.status, answer.body || {});
    return answer.body.photo_ids || [];
  }

  // What went wrong, in words, with the refused photos marked in the grid.
  function refusal(code, body) {
    const ids = Array.isArray(body.photo_ids) ? body.photo_ids.filter(Number.isInteger) : [];
    for (const id of ids) tileOf(id)?.classList.add("tile--refused");
    let text = typeof body.detail === "string" ? body.detail : `The server answered ${code}.`;
    if (ids.length) text += ` (${plural(ids.length)} refused; nothing was changed.)`;
    else if (Array.isArray(body.photo_ids)) text = `${body.photo_ids.join(" ")} Nothing was changed.`;
    return new Error(text);
  }

  // fetch rejects with a TypeError when the request never got an answer.
  const failure = (error) => (error instanceof TypeError ? "The site could not be reached; try again." : error.message);

  async function act(action) {
    const ids = [...selected].map(Number);
    for (const tile of grid.querySelectorAll(".tile--refused")) tile.classList.remove("tile--refused");
    for (const other of actions()) other.disabled = true;
    say("Working…");
    try {
      const done = await post(action.dataset.apiUrl, ids);
      setAll(false);
      ({ favorite: starred, unfavorite: unstarred, trash: trashed })[action.dataset.bulk](done);
    } catch (error) {
      say(failure(error), true);
      update();
    }
  }

  function starred(ids) {
    for (const tile of ids.map(tileOf)) {
      if (tile && !tile.querySelector(".tile__star")) tile.querySelector(".tile__link").after(star());
    }
    say(`Added ${plural(ids.length)} to your favourites.`);
  }

  function unstarred(ids) {
    if ("unstarredLeave" in toolbar.dataset) {
      removeTiles(ids);
    } else {
      for (const tile of ids.map(tileOf)) tile?.querySelector(".tile__star")?.remove();
    }
    say(`Unstarred ${plural(ids.length)}.`);
  }

  function star() {
    const node = document.createElement("span");
    node.className = "tile__star";
    node.setAttribute("role", "img");
    node.setAttribute("aria-label", "Favourite");
    node.textContent = "★";
    return node;
  }

  function trashed(ids) {
    const removed = removeTiles(ids);
    const restoreUrl = toolbar.dataset.restoreUrl;
    if (!restoreUrl) {
      say(`Deleted ${plural(ids.length)}.`);
      return;
    }
    let undoing = false;
    say(`Moved ${plural(ids.length)} to the trash.`, false, async () => {
      if (undoing) return;
      undoing = true;
      try {
        const back = await post(restoreUrl, ids);
        // Back in place, the last removed first, so that each finds the neighbour it had.
        for (const [node, parent, next] of removed.reverse()) parent.insertBefore(node, next);
        say(`Restored ${plural(back.length)}.`);
        update();
      } catch (error) {
        say(failure(error), true);
      }
    });
  }

  // Take tiles out of the grid (and a month heading left with none); returns what went, to put back.
  function removeTiles(ids) {
    const removed = [];
    const take = (node) => {
      removed.push([node, node.parentNode, node.nextSibling]);
      node.remove();
    };
    for (const tile of ids.map(tileOf)) {
      if (!tile) continue;
      const heading = tile.previousElementSibling;
      const next = tile.nextElementSibling;
      take(tile);
      if (heading?.matches(".grid__month") && (!next || next.matches(".grid__month"))) take(heading);
    }
    if (anchor && !anchor.isConnected) anchor = null;
    update();
    return removed;
  }

  // The boxes tick as the stored selection says: at load and when the page comes back from the back-forward
  // cache, since another page of the list may have changed it.
  function restore() {
    selected.clear();
    for (const id of stored()) selected.add(String(id));
    for (const box of boxes()) {
      const wanted = selected.has(box.value);
      if (wanted || box.checked) setBox(box, wanted);
    }
    update();
  }

  window.addEventListener("pageshow", (event) => event.persisted && restore());
  restore();
}
