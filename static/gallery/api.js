// The site's JSON API as the pages' scripts call it: the session's cookie and CSRF token, JSON both ways.
// Resolves with {ok, status, body}, body null when the answer is not JSON (a proxy's error page, say); rejects with
// fetch's TypeError when no answer came (a lost connection). Errors are {"detail"} or {"field": ["message"]}.
export async function requestJSON(url, { method = "POST", data, csrfToken }) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken };
  if (data !== undefined) headers["Content-Type"] = "application/json";
  const body = data === undefined ? undefined : JSON.stringify(data);
  const response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  let answer = null;
  try {
    answer = await response.json();
  } catch (ignored) {
    // Not JSON: answered with null.
  }
  return { ok: response.ok, status: response.status, body: answer };
}

// An API error in words: the body's detail or its first field's first message, else `fallback`.
export function errorText(body, fallback) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    for (const messages of Object.values(body)) {
      if (Array.isArray(messages) && messages.length) return String(messages[0]);
    }
  }
  return fallback;
}
