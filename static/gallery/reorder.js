// Arranging an album by dragging its tiles: dropping a photo on another puts it in that photo's place. It posts
// move=<photo id>:<other photo id> to the album's move URL, as the tiles' arrow buttons do without this script
// (they stay, for keyboards), then shows the album in its new order.
(function () {
  "use strict";

  const grid = document.getElementById("photo-grid");
  const form = document.getElementById("arrange");
  if (!grid || !grid.dataset.arrangeUrl || !form) return;

  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let dragged = null;

  for (const tile of grid.querySelectorAll(".tile")) {
    tile.draggable = true;
    tile.addEventListener("dragstart", (event) => {
      dragged = tile;
      tile.classList.add("tile--dragged");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", tile.dataset.photoId);
    });
    tile.addEventListener("dragend", () => {
      tile.classList.remove("tile--dragged");
      for (const other of grid.querySelectorAll(".tile--target")) other.classList.remove("tile--target");
    });
    tile.addEventListener("dragover", (event) => {
      if (!dragged || dragged === tile) return;
      event.preventDefault();
      tile.classList.add("tile--target");
    });
    tile.addEventListener("dragleave", () => tile.classList.remove("tile--target"));
    tile.addEventListener("drop", (event) => {
      event.preventDefault();
      if (!dragged || dragged === tile) return;
      move(dragged, tile);
    });
  }

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
