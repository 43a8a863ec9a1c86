// The board: live tiles from the hotel's event stream, filters, a room opened in a dialog
// and its actions posted with the session's CSRF token. Plain JavaScript, no framework:
// without it the page still works (links and forms), with it nothing reloads.
"use strict";

(function () {
  const main = document.querySelector("main.board-page");
  if (!main) return;
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const labels = JSON.parse(document.getElementById("status-labels").textContent);
  const live = document.getElementById("live-status");
  const announcer = document.getElementById("announcer");
  const dialog = document.getElementById("room-dialog");
  const dialogBody = document.getElementById("room-dialog-body");
  const dialogTitle = document.getElementById("room-dialog-title");
  const filters = Array.from(document.querySelectorAll("[data-filter]"));
  let openRoom = null;
  let lastTrigger = null;

  // --- tiles and counts -----------------------------------------------------------------

  function tileOf(roomNumber) {
    return document.querySelector('.tile[data-room="' + roomNumber + '"]');
  }

  function setStatus(roomNumber, status, announce) {
    const tile = tileOf(roomNumber);
    if (!tile || tile.dataset.status === status) return;
    tile.classList.remove("status-" + tile.dataset.status);
    tile.classList.add("status-" + status);
    tile.dataset.status = status;
    tile.querySelector(".status-text").textContent = labels[status] || status;
    tile.classList.remove("just-changed");
    void tile.offsetWidth; // restart the highlight
    tile.classList.add("just-changed");
    if (announce) announcer.textContent = "Room " + roomNumber + ": " + (labels[status] || status);
    recount();
    applyFilters();
  }

  function recount() {
    const counts = {};
    document.querySelectorAll(".tile").forEach(function (tile) {
      counts[tile.dataset.status] = (counts[tile.dataset.status] || 0) + 1;
    });
    document.querySelectorAll("[data-count-for]").forEach(function (item) {
      item.querySelector(".count-number").textContent = counts[item.dataset.countFor] || 0;
    });
  }

  // --- filters (the same query the server understands, kept in the address) -------------

  function chosen() {
    const values = {};
    filters.forEach(function (select) { values[select.dataset.filter] = select.value; });
    return values;
  }

  function applyFilters() {
    const wanted = chosen();
    let shown = 0;
    document.querySelectorAll(".floor").forEach(function (floor) {
      let floorShown = 0;
      floor.querySelectorAll(".tile").forEach(function (tile) {
        const visible = Object.keys(wanted).every(function (name) {
          return !wanted[name] || tile.dataset[name] === wanted[name];
        });
        tile.hidden = !visible;
        if (visible) floorShown += 1;
      });
      floor.hidden = floorShown === 0;
      shown += floorShown;
    });
    const total = document.querySelectorAll(".tile").length;
    document.getElementById("filter-summary").textContent =
      shown === total ? "" : "Showing " + shown + " of " + total + " rooms";
  }

  filters.forEach(function (select) {
    select.addEventListener("change", function () {
      applyFilters();
      const query = new URLSearchParams();
      const values = chosen();
      Object.keys(values).forEach(function (name) { if (values[name]) query.set(name, values[name]); });
      const search = query.toString();
      history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
    });
  });

  // --- a room in the dialog --------------------------------------------------------------

  function showMessage(text) {
    const box = dialogBody.querySelector(".panel-message");
    if (!box) return;
    box.innerHTML = "";
    const paragraph = document.createElement("p");
    paragraph.className = "alert";
    paragraph.textContent = text;
    box.appendChild(paragraph);
  }

  async function readError(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (ignored) { /* not JSON: say so plainly below */ }
    return "That did not work (the server answered " + response.status + "). Try again.";
  }

  function sessionEnded() {
    live.dataset.state = "ended";
    live.querySelector(".live-text").innerHTML = "";
    const link = document.createElement("a");
    link.href = "/?next=" + encodeURIComponent(location.pathname);
    link.textContent = "Your session has ended: sign in again";
    live.querySelector(".live-text").appendChild(link);
  }

  async function loadPanel(roomNumber) {
    const response = await fetch(main.dataset.stateUrl.replace("rooms.json", "rooms/" + roomNumber + "/panel"), {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    });
    if (response.redirected || response.status === 401) { sessionEnded(); return false; }
    if (!response.ok) {
      dialogBody.innerHTML = '<div class="panel-message"></div>';
      showMessage("Room " + roomNumber + " could not be opened (the server answered " + response.status + ").");
      return true;
    }
    dialogBody.innerHTML = await response.text();
    return true;
  }

  async function open(roomNumber, trigger) {
    openRoom = String(roomNumber);
    lastTrigger = trigger;
    dialogTitle.textContent = "Room " + roomNumber;
    if (!(await loadPanel(roomNumber))) return;
    if (!dialog.open) dialog.showModal();
    const heading = dialogBody.querySelector(".room-title");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", function () {
    openRoom = null;
    if (lastTrigger) lastTrigger.focus();
  });
  dialog.querySelector("[data-close-dialog]").addEventListener("click", close);
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) close(); // a click on the backdrop
  });

  document.getElementById("floors").addEventListener("click", function (event) {
    const link = event.target.closest(".tile-link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    open(link.closest(".tile").dataset.room, link);
  });

  dialogBody.addEventListener("submit", async function (event) {
    const form = event.target.closest(".action-form");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": csrfToken },
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      if (response.status === 401) { sessionEnded(); showMessage("Your session has ended: sign in again."); return; }
      if (!response.ok) { showMessage(await readError(response)); return; }
      const result = await response.json();
      setStatus(result.room_number, result.status, false);
      dialogBody.innerHTML = result.panel;
      const heading = dialogBody.querySelector(".room-title");
      if (heading) { heading.tabIndex = -1; heading.focus(); }
      announcer.textContent = "Room " + result.room_number + " is now " + result.status_label;
    } catch (error) {
      showMessage("The server could not be reached; nothing was changed. Try again.");
    } finally {
      button.disabled = false;
    }
  });

  // --- live updates ---------------------------------------------------------------------

  let reconciled = false;
  let queued = [];

  function onRoomEvent(payload) {
    if (!reconciled) { queued.push(payload); return; }
    setStatus(payload.room_number, payload.new_status, true);
    if (openRoom === String(payload.room_number)) loadPanel(payload.room_number);
  }

  function onBookingEvent(payload) {
    if (reconciled && payload.room_number && openRoom === String(payload.room_number)) {
      loadPanel(payload.room_number);
    }
  }

  // A room's tasks or flags changed: its badges are drawn by the server, so ask for the
  // tile's inside again (and the open room, if it is this one).
  async function onHousekeepingEvent(payload) {
    if (!reconciled || !payload.room_number) return;
    const tile = tileOf(payload.room_number);
    if (!tile) return;
    const response = await fetch(main.dataset.tileUrl + payload.room_number + "/tile", {
      headers: { Accept: "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    tile.innerHTML = await response.text();
    tile.dataset.assignee = response.headers.get("X-Tile-Assignee") || "";
    applyFilters();
    if (openRoom === String(payload.room_number)) loadPanel(payload.room_number);
  }

  // What changed between the page and the stream's start: read the rooms once, then play
  // the events that came meanwhile (each sets a state, so playing one twice is harmless).
  async function reconcile() {
    try {
      const response = await fetch(main.dataset.stateUrl, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (response.ok) {
        (await response.json()).rooms.forEach(function (room) {
          setStatus(room.room_number, room.status, false);
        });
      }
    } finally {
      reconciled = true;
      const waiting = queued;
      queued = [];
      waiting.forEach(onRoomEvent);
    }
  }

  function listen() {
    const stream = new EventSource(main.dataset.eventsUrl);
    let everOpened = false;
    stream.addEventListener("open", function () {
      live.dataset.state = "live";
      live.querySelector(".live-text").textContent = "Live";
      if (!everOpened) { everOpened = true; reconcile(); }
    });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) {
        sessionEnded(); // the stream refused us: the session is over
        return;
      }
      live.dataset.state = "reconnecting";
      live.querySelector(".live-text").textContent = "Connection lost, reconnecting…";
    });
    const parse = function (handler) {
      return function (message) { handler(JSON.parse(message.data)); };
    };
    stream.addEventListener("room-status-changed", parse(onRoomEvent));
    ["booking-checked-out", "booking-checked-in", "booking-cancelled", "booking-no-show"].forEach(
      function (name) { stream.addEventListener(name, parse(onBookingEvent)); }
    );
    ["task-created", "task-status-changed", "task-assigned", "room-flags-changed"].forEach(
      function (name) { stream.addEventListener(name, parse(onHousekeepingEvent)); }
    );
  }

  applyFilters();
  listen();
})();
