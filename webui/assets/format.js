// Numbers and times as netmon writes them, for the dashboard (app.js) and the history pages
// (history.js): the same rules as the server's webui/units.cpp. Defines window.netmonFormat.
"use strict";

window.netmonFormat = (function () {
  // Human units, as the server writes them.
  function scaled(value, base, units, suffix) {
    let unit = 0;
    while (value >= base && unit + 1 < units.length) {
      value /= base;
      unit += 1;
    }
    let digits;
    if (unit === 0) digits = value.toFixed(0);
    else if (value < 9.995) digits = value.toFixed(2);
    else if (value < 99.95) digits = value.toFixed(1);
    else digits = value.toFixed(0);
    return digits + " " + units[unit] + suffix;
  }
  const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  const formatBytes = (n) => scaled(Math.max(0, Number(n) || 0), 1024, BYTE_UNITS, "");
  const formatRate = (n) => scaled(Math.round(Math.max(0, Number(n) || 0)), 1024, BYTE_UNITS, "/s");
  const formatCount = (n) => (n < 1000 ? String(n) : scaled(n, 1000, ["", "k", "M", "G", "T", "P", "E"], ""));
  function formatDuration(ms) {
    const seconds = ms > 0 ? Math.floor(ms / 1000) : 0;
    if (seconds < 60) return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
    return Math.floor(hours / 24) + " d" + (hours % 24 ? " " + (hours % 24) + " h" : "");
  }

  // A moment in the browser's time zone: "3 Dec 2026, 14:05".
  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const formatLocalTime = (ms) => dateTime.format(new Date(ms));

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  return { scaled, formatBytes, formatRate, formatCount, formatDuration, formatLocalTime, element };
})();
