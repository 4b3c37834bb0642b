// The list of share links: a Copy button beside each link's address (without this script, the address is
// still there to select and copy).
(function () {
  "use strict";

  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("[data-copy]")) {
    const input = document.getElementById(button.dataset.copy);
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 2000);
    });
  }
})();
