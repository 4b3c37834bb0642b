// Paints each image's ThumbHash placeholder (its data-thumbhash, made by the photo's job) behind it until the
// image has loaded: a blurred likeness of the photo in its own colours, over the tile's average colour (which
// needs no JavaScript: gallery/tile_colours.py).
// Decoding a ThumbHash into a PNG costs about 3 ms under a phone's CPU (Lighthouse's 4x slowdown), so decoding a
// page's 24 or 50 at start-up was one long task (up to 470 ms measured): only the images in or near the viewport
// that have not arrived are decoded, as an IntersectionObserver reports them (after the first layout), in tasks
// of at most BUDGET_MS that yield to the page between them.
import { thumbHashToDataURL } from "./vendor/thumbhash.js";

const BUDGET_MS = 5; // a task under 50 ms at 4x slowdown, one decode over included (the first, compiling, is longer)
const NEAR = "100% 0px"; // a viewport's height above and below it

const arrived = (image) => image.complete && image.naturalWidth > 0;
const nextTask = () =>
  globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => setTimeout(resolve));

function paint(image) {
  if (arrived(image)) return;
  const hash = Uint8Array.from(atob(image.dataset.thumbhash), (c) => c.charCodeAt(0));
  image.style.backgroundImage = `url(${thumbHashToDataURL(hash)})`;
  image.style.backgroundSize = "100% 100%";
  image.addEventListener("load", () => image.style.removeProperty("background-image"), { once: true });
}

const queue = [];
let draining = false;

async function drain() {
  draining = true;
  while (queue.length) {
    const start = performance.now();
    do paint(queue.shift());
    while (queue.length && performance.now() - start < BUDGET_MS);
    await nextTask();
  }
  draining = false;
}

const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      if (!arrived(entry.target)) queue.push(entry.target);
    }
    if (!draining) drain();
  },
  { rootMargin: NEAR },
);
function watch(root) {
  const images = root.matches("img[data-thumbhash]") ? [root] : root.querySelectorAll("img[data-thumbhash]");
  for (const image of images) if (!arrived(image)) observer.observe(image);
}
watch(document.documentElement);
// Tiles added later, such as the next page's the viewer appends to the grid.
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) if (node instanceof Element) watch(node);
}).observe(document.body, { childList: true, subtree: true });
