// Arranging an album by dragging its tiles (draggable in the markup): dropping a photo on another puts it in that
// photo's place. It posts move=<photo id>:<other photo id> to the album's move URL, as the tiles' arrow buttons do
// without this script (they stay, for keyboards), then shows the album in its new order. The grid listens for
// its tiles' drag events, so tiles added later (the next page's, which the viewer appends) drag too, and the
// arrows follow the tiles that leave or come back (select.js's trash and its Undo).
(function () {
  "use strict";

  const grid = document.getElementById("photo-grid");
  const form = document.getElementById("arrange");
  if (!grid || !grid.dataset.arrangeUrl || !form) return;

  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const tileOf = (event) => event.target instanceof Element && event.target.closest("#photo-grid .tile");
  let dragged = null;

  grid.addEventListener("dragstart", (event) => {
    dragged = tileOf(event) || null;
    if (!dragged) return;
    dragged.classList.add("tile--dragged");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.photoId);
  });
  grid.addEventListener("dragend", () => {
    dragged?.classList.remove("tile--dragged");
    dragged = null;
    for (const other of grid.querySelectorAll(".tile--target")) other.classList.remove("tile--target");
  });
  grid.addEventListener("dragover", (event) => {
    const tile = tileOf(event);
    if (!tile || !dragged || dragged === tile) return;
    event.preventDefault();
    tile.classList.add("tile--target");
  });
  grid.addEventListener("dragleave", (event) => {
    const tile = tileOf(event);
    // Leaving one of the tile's own parts for another is no leaving.
    if (tile && !tile.contains(event.relatedTarget)) tile.classList.remove("tile--target");
  });
  grid.addEventListener("drop", (event) => {
    const tile = tileOf(event);
    if (!tile) return;
    event.preventDefault();
    if (dragged && dragged !== tile) move(dragged, tile);
  });

  // Each arrow names the tile's neighbour on that side in the grid as it now is; with none left, it hides. A tile
  // without an arrow on a side (the first and last of the page) never gains a neighbour there.
  function relinkArrows() {
    const tiles = Array.from(grid.querySelectorAll(".tile"));
    tiles.forEach((tile, at) => {
      for (const [side, neighbour] of [["previous", tiles[at - 1]], ["next", tiles[at + 1]]]) {
        const arrow = tile.querySelector(`button[data-neighbour="${side}"]`);
        if (!arrow) continue;
        arrow.hidden = !neighbour;
        if (neighbour) arrow.value = `${tile.dataset.photoId}:${neighbour.dataset.photoId}`;
      }
    });
  }
  new MutationObserver(relinkArrows).observe(grid, { childList: true });

  async function move(tile, target) {
    const data = new FormData();
    data.append("move", `${tile.dataset.photoId}:${target.dataset.photoId}`);
    const response = await fetch(grid.dataset.arrangeUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    });
    if (response.ok) {
      window.location.reload();
    } else {
      const body = await response.json().catch(() => ({}));
      window.alert(body.detail || `The photo could not be moved (HTTP ${response.status}).`);
    }
  }
})();
