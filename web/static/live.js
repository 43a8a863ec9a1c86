// What every live page shares (the board, the front desk, my tasks): the session's CSRF
// token, readable error messages from the app's envelope, the "live" indicator, and the
// hotel's event stream. Plain JavaScript; pages load it before their own script.
"use strict";

window.Turnover = (function () {
  const meta = document.querySelector('meta[name="csrf-token"]');

  // The message of an error envelope, or a plain sentence: never the raw answer.
  async function readError(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (ignored) { /* not JSON: say so plainly below */ }
    return "That did not work (the server answered " + response.status + "). Try again.";
  }

  function sessionEnded(live) {
    live.dataset.state = "ended";
    const text = live.querySelector(".live-text");
    text.innerHTML = "";
    const link = document.createElement("a");
    link.href = "/?next=" + encodeURIComponent(location.pathname);
    link.textContent = "Your session has ended: sign in again";
    text.appendChild(link);
  }

  // Post a page's form as its script does: JSON asked for, the CSRF token in a header.
  function postForm(form, body) {
    return fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      body: body || new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
  }

  // The hotel's event stream: `handlers` maps event names to functions of the parsed
  // payload; `onFirstOpen` runs once the stream is first open (to catch up on what came
  // between the page and the stream). The browser reconnects by itself, with Last-Event-ID.
  function listen(url, live, handlers, onFirstOpen) {
    const stream = new EventSource(url);
    let everOpened = false;
    stream.addEventListener("open", function () {
      live.dataset.state = "live";
      live.querySelector(".live-text").textContent = "Live";
      if (!everOpened) { everOpened = true; if (onFirstOpen) onFirstOpen(); }
    });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) {
        sessionEnded(live); // the stream refused us: the session is over
        return;
      }
      live.dataset.state = "reconnecting";
      live.querySelector(".live-text").textContent = "Connection lost, reconnecting…";
    });
    Object.keys(handlers).forEach(function (name) {
      stream.addEventListener(name, function (message) { handlers[name](JSON.parse(message.data)); });
    });
    return stream;
  }

  return { readError: readError, sessionEnded: sessionEnded, postForm: postForm, listen: listen };
})();
