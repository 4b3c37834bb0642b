// Selecting photos in a grid: the tiles' checkboxes belong to the form#selection toolbar, which works without
// this script. With it the toolbar counts the selection, offers "Select all" and "Clear", Shift-click selects a
// range, Escape clears, and the actions wait for a selection. Other scripts read the selection from the
// "photos:selection" event on document (detail.ids), and add their own buttons to the toolbar.
(function () {
  "use strict";

  const toolbar = document.getElementById("selection");
  const grid = document.getElementById("photo-grid");
  if (!toolbar || !grid) return;

  const count = document.getElementById("selection-count");
  const boxes = () => Array.from(grid.querySelectorAll(".tile__check"));
  const actions = () => Array.from(toolbar.querySelectorAll("[data-needs-selection]"));
  let anchor = null;

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
  toolbar.append(selectAll, clear);
  toolbar.classList.add("selection--js");

  function setAll(checked) {
    for (const box of boxes()) box.checked = checked;
    update();
  }

  function update() {
    const selected = boxes().filter((box) => box.checked);
    for (const box of boxes()) box.closest(".tile").classList.toggle("tile--selected", box.checked);
    const n = selected.length;
    count.textContent = n ? `${n} photo${n === 1 ? "" : "s"} selected` : "Tick photos to select them.";
    for (const action of actions()) action.disabled = n === 0;
    clear.hidden = n === 0;
    selectAll.hidden = n === boxes().length;
    document.dispatchEvent(
      new CustomEvent("photos:selection", { detail: { ids: selected.map((box) => Number(box.value)) } })
    );
  }

  grid.addEventListener("click", (event) => {
    const box = event.target.closest(".tile__check");
    if (!box) return;
    const all = boxes();
    if (event.shiftKey && anchor && anchor !== box) {
      const [from, to] = [all.indexOf(anchor), all.indexOf(box)].sort((a, b) => a - b);
      for (const other of all.slice(from, to + 1)) other.checked = box.checked;
    }
    anchor = box;
  });
  grid.addEventListener("change", update);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && boxes().some((box) => box.checked)) setAll(false);
  });
  update();
})();
