// The front desk and my tasks: lists drawn by the server, its forms posted without a
// reload, and the lists asked for again when the hotel's event stream says something
// changed. Needs live.js. Without a script the forms post and the page comes back.
"use strict";

(function () {
  const main = document.querySelector("main.list-page");
  if (!main) return;
  const live = document.getElementById("live-status");
  const region = document.getElementById("live-region");
  const message = document.getElementById("page-message");
  let refreshing = null;
  let again = false;

  function say(text, isError) {
    message.innerHTML = "";
    const paragraph = document.createElement("p");
    paragraph.className = isError ? "alert" : "notice";
    paragraph.textContent = text;
    message.appendChild(paragraph);
  }

  // Someone is typing a reason or choosing a room in the lists: wait until they leave it.
  function busy() {
    const focused = document.activeElement;
    return focused && region.contains(focused) && focused.matches("input[type=text], textarea, select, details[open] *");
  }

  // A folded part (a move, a skip) stays open when the lists are drawn again.
  function whereIs(details) {
    const item = details.closest("[data-booking], [data-task]");
    return item ? (item.dataset.booking || "task-" + item.dataset.task) : "";
  }

  async function refresh() {
    if (refreshing) { again = true; return refreshing; }
    if (busy()) { again = true; return null; }
    refreshing = (async function () {
      try {
        const response = await fetch(main.dataset.listsUrl, {
          headers: { Accept: "text/html" }, credentials: "same-origin",
        });
        if (response.redirected || response.status === 401) { Turnover.sessionEnded(live); return; }
        if (response.ok) {
          const opened = Array.from(region.querySelectorAll("details[open]")).map(whereIs);
          region.innerHTML = await response.text();
          region.querySelectorAll("details").forEach(function (details) {
            if (opened.indexOf(whereIs(details)) >= 0) details.open = true;
          });
          main.dataset.refreshed = String(Number(main.dataset.refreshed || 0) + 1);
        }
      } finally {
        refreshing = null;
        if (again) { again = false; refresh(); }
      }
    })();
    return refreshing;
  }

  region.addEventListener("focusout", function () {
    if (again && !refreshing) setTimeout(function () { if (!busy()) { again = false; refresh(); } }, 0);
  });

  region.addEventListener("submit", async function (event) {
    const form = event.target.closest(".live-form");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const button = event.submitter || form.querySelector("button[type=submit]");
    const body = new URLSearchParams(new FormData(form, event.submitter || undefined));
    if (button) button.disabled = true;
    try {
      const response = await Turnover.postForm(form, body);
      if (response.status === 401) { Turnover.sessionEnded(live); say("Your session has ended: sign in again.", true); return; }
      if (!response.ok) { say(await Turnover.readError(response), true); return; }
      say((await response.json()).message, false);
      if (document.activeElement && region.contains(document.activeElement)) document.activeElement.blur();
      await refresh();
    } catch (error) {
      say("The server could not be reached; nothing was changed. Try again.", true);
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  });

  document.querySelectorAll("[data-submit-on-change]").forEach(function (input) {
    input.addEventListener("change", function () { if (input.value) input.form.submit(); });
  });

  const handlers = {};
  (main.dataset.refreshOn || "").split(/\s+/).filter(Boolean).forEach(function (name) {
    handlers[name] = function () { refresh(); };
  });
  Turnover.listen(main.dataset.eventsUrl, live, handlers, refresh);
})();
