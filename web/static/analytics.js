// The analytics page's charts (Chart.js, served by the app: web/static/vendor). The same
// figures are in the tables below each chart, for screen readers and for copying.
"use strict";

(function () {
  const source = document.getElementById("analytics-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const ink = "#1b1f24";
  const blue = "#1f4fa3";
  const orange = "#b35c00";
  const green = "#1e7b3c";
  const grey = "#8a93a0";
  Chart.defaults.color = ink;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 };

  const days = data.days.map(function (day) { return day.slice(5); }); // MM-DD
  const minutes = { y: { beginAtZero: true, title: { display: true, text: "minutes" } } };
  const drawn = {};

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) drawn[id] = new Chart(canvas, config);
  }

  draw("chart-turnover", {
    type: "line",
    data: {
      labels: days,
      datasets: [
        { label: "Median", data: data.turnover.map(function (t) { return t.median; }), borderColor: blue, backgroundColor: blue, spanGaps: true },
        { label: "90th percentile", data: data.turnover.map(function (t) { return t.p90; }), borderColor: orange, backgroundColor: orange, borderDash: [6, 4], spanGaps: true },
      ],
    },
    options: { scales: minutes },
  });

  draw("chart-ready", {
    type: "bar",
    data: {
      labels: days,
      datasets: [
        { label: "Departures", data: data.departures, backgroundColor: grey },
        { label: "Ready by " + data.check_in_time, data: data.ready, backgroundColor: green },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  draw("chart-hours", {
    type: "bar",
    data: {
      labels: data.hours.map(function (_, hour) { return String(hour).padStart(2, "0"); }),
      datasets: [{ label: "Checkouts", data: data.hours, backgroundColor: blue }],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
  });

  draw("chart-cleaning", {
    type: "bar",
    data: {
      labels: data.housekeepers.map(function (h) { return h.name; }),
      datasets: [
        { label: "Median", data: data.housekeepers.map(function (h) { return h.median; }), backgroundColor: blue },
        { label: "90th percentile", data: data.housekeepers.map(function (h) { return h.p90; }), backgroundColor: orange },
      ],
    },
    options: { scales: minutes },
  });

  // For the browser tests and anyone curious: which charts were drawn, with how many points.
  document.body.dataset.chartsDrawn = Object.keys(drawn).length;
})();
