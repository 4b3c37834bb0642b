// What the viewer (viewer.js) reads from the site's pages: a photo's details from its own page, each page fetched
// once, and the grid's next page, whose tiles go on the end of the grid.

const pages = new Map(); // a tile's href -> the promise of its photo's details

// The photo's details as its page shows them: the promise is kept, so each page is fetched once.
export function load(href) {
  if (!pages.has(href)) {
    const loading = fetchDetails(href);
    loading.catch(() => pages.delete(href));
    pages.set(href, loading);
  }
  return pages.get(href);
}

async function fetchPage(href) {
  const response = await fetch(href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

async function fetchDetails(href) {
  const page = await fetchPage(href);
  const image = page.querySelector(".photo__figure img");
  const form = page.querySelector(".favourite-form");
  return {
    documentTitle: page.title,
    title: page.querySelector(".photo__info h1")?.textContent.trim() || "Untitled",
    image: image && { src: image.getAttribute("src"), srcset: image.getAttribute("srcset") || "", alt: image.alt },
    pending: page.querySelector(".photo__figure")?.textContent.trim(),
    nodes: Array.from(page.querySelectorAll(".photo__info .photo__description, .photo__info .facts")),
    marked: Boolean(page.querySelector(".favourite-mark")),
    star: form && {
      photoId: Number(form.querySelector("input[name=photo_ids]").value),
      favorite: form.querySelector("[aria-pressed]").getAttribute("aria-pressed") === "true",
      csrfToken: form.querySelector("input[name=csrfmiddlewaretoken]").value,
    },
  };
}

export function nextPageLink() {
  return document.querySelector(".pager a[rel=next]");
}

// Past the page's last tile: the pager's next page's tiles go on the end of the grid, and the pager's next link
// moves on to the page after (its previous link stays: the grid still starts where it did).
let appending = null;
export function appendNextPage() {
  if (!appending) {
    appending = (async () => {
      const pagerNext = nextPageLink();
      const page = await fetchPage(pagerNext.href);
      const grid = document.getElementById("photo-grid");
      const month = (item) => item && item.textContent.trim();
      const lastMonth = month(Array.from(grid.querySelectorAll(".grid__month")).pop());
      for (const item of page.querySelectorAll("#photo-grid > li")) {
        if (item.matches(".grid__month") && month(item) === lastMonth) continue; // that month goes on
        grid.append(document.importNode(item, true));
      }
      const following = page.querySelector(".pager a[rel=next]");
      if (following) pagerNext.setAttribute("href", following.getAttribute("href"));
      else if (pagerNext.parentElement.querySelectorAll("a").length > 1) pagerNext.remove();
      else pagerNext.parentElement.remove();
    })().finally(() => (appending = null));
  }
  return appending;
}
