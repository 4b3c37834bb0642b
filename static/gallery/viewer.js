// The photo viewer: a click on a grid's tile (#photo-grid .tile__link) opens its photo full-window in a modal
// <dialog>, paged with buttons, the arrow keys or a swipe. Each photo's image, title, facts and star come from the
// tile's own page (the photo page, or a share link's), fetched and parsed: the viewer shows what that page shows,
// under the same access rules, with no endpoint of its own. The URL follows the photo, so a reload shows its page,
// which stays the fallback without JavaScript. Start-up only listens; the dialog is built at the first click.
import { errorText, requestJSON } from "./api.js";
import { appendNextPage, load, nextPageLink } from "./viewer-pages.js";

const GRID_LINKS = "#photo-grid .tile__link";
const STATE_KEY = "viewerPhoto";
const SWIPE_PX = 50;
// The stage is the window's width, less the details beside it from 960 px (site.css's .viewer).
const IMAGE_SIZES = "(min-width: 960px) calc(100vw - 22rem), 100vw";

let viewer = null; // the dialog's parts, once built
let links = []; // the grid's tile links, when the viewer opened
let index = -1;
let shown = null; // the details on show
let gridTitle = "";
let gridScroll = [0, 0];
let returnAfterPop = false;

document.addEventListener("click", (event) => {
  // Taken by another script (select.js in selection mode), or a new tab or window asked for.
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element && event.target.closest(GRID_LINKS);
  if (!link) return;
  event.preventDefault();
  open(link);
});
window.addEventListener("popstate", onPopState);

function open(link, push = true) {
  build();
  links = Array.from(document.querySelectorAll(GRID_LINKS));
  gridTitle = document.title;
  gridScroll = [window.scrollX, window.scrollY];
  if (push) history.pushState({ [STATE_KEY]: link.href }, "", link.href);
  document.documentElement.classList.add("viewer-open");
  viewer.dialog.showModal();
  show(links.indexOf(link));
}

async function step(by) {
  const next = index + by;
  if (!viewer.dialog.open || next < 0) return;
  if (next >= links.length) {
    if (!nextPageLink()) return;
    try {
      await appendNextPage();
    } catch (error) {
      viewer.status.textContent = `The next page could not be loaded: ${error.message}`;
      return;
    }
    links = Array.from(document.querySelectorAll(GRID_LINKS));
    if (!viewer.dialog.open || next >= links.length || index !== next - by) return;
  }
  history.replaceState({ [STATE_KEY]: links[next].href }, "", links[next].href);
  show(next);
}

async function show(at) {
  index = at;
  shown = null;
  const link = links[at];
  const tileImage = link.querySelector("img");
  const title = link.querySelector(".tile__title")?.textContent.trim() || "Untitled";
  viewer.title.textContent = title;
  viewer.status.textContent = `Photo ${at + 1} of ${links.length}: ${title}`;
  const focused = document.activeElement;
  viewer.previous.disabled = at === 0;
  viewer.next.disabled = at === links.length - 1 && !nextPageLink();
  // A button that has just been disabled would drop the focus: it goes to the other one, or to Close.
  if (focused === viewer.previous || focused === viewer.next) {
    const other = focused === viewer.next ? viewer.previous : viewer.next;
    if (focused.disabled) (other.disabled ? viewer.close : other).focus();
  }
  viewer.pageLink.href = link.href;
  viewer.details.replaceChildren();
  viewer.star.hidden = true;
  viewer.mark.hidden = true;
  viewer.message.hidden = true;
  // The tile's own image at once (the browser has it), until the display size arrives.
  showImage(tileImage && tileImage.currentSrc ? { src: tileImage.currentSrc, srcset: "", alt: tileImage.alt } : null);

  let details;
  try {
    details = await load(link.href);
  } catch (error) {
    if (index === at && viewer.dialog.open) showProblem(`This photo could not be loaded: ${error.message}`);
    return;
  }
  if (index !== at || !viewer.dialog.open) return; // paged on or closed meanwhile
  render(details);
  preload(at - 1);
  preload(at + 1);
}

function render(details) {
  shown = details;
  document.title = details.documentTitle;
  viewer.title.textContent = details.title;
  if (details.image) showImage(details.image);
  else showProblem(details.pending || "This photo has no image yet.");
  viewer.details.replaceChildren(...details.nodes.map((node) => document.importNode(node, true)));
  viewer.star.hidden = !details.star;
  if (details.star) setStar(details.star.favorite);
  viewer.mark.hidden = !details.marked;
}

function showImage(image) {
  viewer.message.hidden = true;
  viewer.image.hidden = !image;
  if (!image) return;
  viewer.image.alt = image.alt;
  viewer.image.srcset = image.srcset;
  viewer.image.sizes = IMAGE_SIZES;
  viewer.image.src = image.src;
}

function showProblem(text) {
  viewer.image.hidden = true;
  viewer.message.textContent = text;
  viewer.message.hidden = false;
}

function setStar(favorite) {
  viewer.star.setAttribute("aria-pressed", String(favorite));
  viewer.star.firstChild.textContent = favorite ? "★" : "☆";
}

// Stars or unstars the photo on show with the library's bulk endpoints; the star shows what the server answered.
async function toggleStar() {
  const details = shown;
  if (!details || !details.star || details.star.busy) return;
  const wanted = !details.star.favorite;
  details.star.busy = true; // not disabled: that would take the focus away from it
  try {
    const url = wanted ? viewer.dialog.dataset.favoriteUrl : viewer.dialog.dataset.unfavoriteUrl;
    const data = { photo_ids: [details.star.photoId] };
    const answer = await requestJSON(url, { data, csrfToken: details.star.csrfToken });
    if (!answer.ok) throw new Error(errorText(answer.body, `HTTP ${answer.status}`));
    if (answer.body.photo_ids.includes(details.star.photoId)) details.star.favorite = wanted;
    viewer.status.textContent = details.star.favorite ? "Added to favourites" : "Removed from favourites";
  } catch (error) {
    viewer.status.textContent = `The favourite could not be changed: ${error.message}`;
  } finally {
    details.star.busy = false;
    if (shown === details) setStar(details.star.favorite);
  }
}

// Fetches a neighbour's page and its image at the size the viewer will ask for, so paging shows it at once.
function preload(at) {
  if (at < 0 || at >= links.length) return;
  load(links[at].href).then(
    (details) => {
      if (!details.image) return;
      const image = new Image();
      image.sizes = IMAGE_SIZES;
      image.srcset = details.image.srcset;
      image.src = details.image.src;
    },
    () => {} // shown when paged to
  );
}

function onPopState(event) {
  const href = event.state && event.state[STATE_KEY];
  if (viewer && viewer.dialog.open) {
    if (href) return;
    viewer.dialog.close(); // Back: the grid's own entry
  } else if (returnAfterPop) {
    returnAfterPop = false;
    returnToGrid();
  } else if (href) {
    // Forward into the viewer: its tile, or the photo's page if the grid no longer has it.
    const link = Array.from(document.querySelectorAll(GRID_LINKS)).find((each) => each.href === href);
    if (link) open(link, false);
    else window.location.reload();
  }
}

function onClose() {
  document.documentElement.classList.remove("viewer-open");
  document.title = gridTitle;
  if (history.state && history.state[STATE_KEY]) {
    // Escape or the close button: leave the viewer's history entry too, then put the grid back as it was.
    returnAfterPop = true;
    history.back();
  } else {
    returnToGrid();
  }
}

// The grid at the scroll place it was left at, with focus on the tile of the photo shown last.
function returnToGrid() {
  window.scrollTo(gridScroll[0], gridScroll[1]);
  const link = links[index];
  if (!link) return;
  link.focus({ preventScroll: true });
  const box = link.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) link.scrollIntoView({ block: "center" });
}

function build() {
  if (viewer) return;
  const config = document.querySelector("script[data-favorite-url]");
  const dialog = element("dialog", { className: "viewer" });
  dialog.setAttribute("aria-labelledby", "viewer-title");
  Object.assign(dialog.dataset, config ? config.dataset : {});
  const stage = element("div", { className: "viewer__stage" });
  const image = element("img", { className: "viewer__image", draggable: false, alt: "" });
  const message = element("p", { className: "viewer__message", hidden: true });
  const previous = button("viewer__button viewer__previous", "Previous photo", "‹");
  const next = button("viewer__button viewer__next", "Next photo", "›");
  const close = button("viewer__button viewer__close", "Close the viewer", "×");
  close.autofocus = true;
  stage.append(image, message, previous, next, close);

  const info = element("div", { className: "viewer__info" });
  const title = element("h2", { id: "viewer-title", className: "viewer__title" });
  const status = element("p", { className: "viewer__status", role: "status" });
  const star = element("button", { type: "button", className: "button viewer__star", hidden: true });
  star.append(element("span", { ariaHidden: "true", textContent: "☆" }), " Favourite");
  const mark = element("p", { className: "favourite-mark", textContent: "★ A favourite", hidden: true });
  const details = element("div", { className: "viewer__details" });
  const pageLink = element("a", { textContent: "The photo’s page" });
  info.append(status, title, star, mark, details, element("p", {}, pageLink));
  dialog.append(stage, info);
  document.body.append(dialog);

  previous.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));
  close.addEventListener("click", () => dialog.close());
  star.addEventListener("click", toggleStar);
  dialog.addEventListener("close", onClose);
  // On document: the focus may be on the page's body (a modal dialog keeps it from the page's elements).
  document.addEventListener("keydown", (event) => {
    if (!dialog.open || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "ArrowRight") step(1);
    else return;
    event.preventDefault();
  });
  listenForSwipes(stage);
  viewer = { dialog, image, message, previous, next, close, title, status, star, mark, details, pageLink };
}

// A horizontal swipe of a finger or pen across the photo pages: to the left for the next photo.
function listenForSwipes(stage) {
  let start = null;
  stage.addEventListener("pointerdown", (event) => {
    start = event.isPrimary && event.pointerType !== "mouse" ? { x: event.clientX, y: event.clientY } : null;
  });
  stage.addEventListener("pointercancel", () => (start = null));
  stage.addEventListener("pointerup", (event) => {
    if (!start || !event.isPrimary) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });
}

function button(className, label, text) {
  const node = element("button", { type: "button", className, ariaLabel: label });
  node.append(element("span", { ariaHidden: "true", textContent: text }));
  return node;
}

function element(name, properties, ...children) {
  const node = Object.assign(document.createElement(name), properties);
  node.append(...children);
  return node;
}
