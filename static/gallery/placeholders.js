// Paints each image's ThumbHash placeholder (its data-thumbhash, made by the photo's job) behind it until the
// image has loaded: a blurred likeness of the photo in its own colours instead of a grey box.
import { thumbHashToDataURL } from "./vendor/thumbhash.js";

for (const image of document.querySelectorAll("img[data-thumbhash]")) {
  if (image.complete && image.naturalWidth) continue;
  const hash = Uint8Array.from(atob(image.dataset.thumbhash), (c) => c.charCodeAt(0));
  image.style.backgroundImage = `url(${thumbHashToDataURL(hash)})`;
  image.style.backgroundSize = "100% 100%";
  image.addEventListener("load", () => image.style.removeProperty("background-image"), { once: true });
}
