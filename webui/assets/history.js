// What the two history pages (device.js, host.js) share: reading the JSON endpoints, the
// window picker, the traffic chart (Debian's Chart.js, served at /static/chart.js) and the
// tables. Data goes into the page through textContent only. Times are shown in the browser's
// time zone. Defines window.netmonHistory; each page keeps what it showed in window.netmonPage,
// which the browser test reads.
"use strict";

window.netmonHistory = (function () {
  const { formatBytes, formatLocalTime, element } = window.netmonFormat;

  // The windows of the picker: their length, and the step of the chart's buckets
  // (docs/API.md, /history.json). 30 days is by day or, when asked, by hour.
  const WINDOWS = {
    "1h": { seconds: 3600, step: 60 },
    "24h": { seconds: 86400, step: 3600 },
    "7d": { seconds: 7 * 86400, step: 3600 },
    "30d": { seconds: 30 * 86400, step: 86400 },
  };
  const STEP_NAMES = { 60: "minute", 3600: "hour", 86400: "day" };
  const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") return body.error;
    } catch (ignored) {
      // not JSON: the status says enough
    }
    return "HTTP " + response.status;
  }

  // The parsed body of a 200, or an Error whose message is the endpoint's error.
  async function fetchJson(path) {
    const response = await fetch(path, {
      cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(path.split("?")[0] + ": " + (await errorOf(response)));
    return response.json();
  }

  function setText(id, text, title) {
    const node = document.getElementById(id);
    if (!node) return;
    node.textContent = text;
    if (title !== undefined) node.title = title;
  }

  function notice(text, level) {
    const box = document.getElementById("notices");
    if (box) box.appendChild(element("p", "notice " + (level || "warning"), text));
  }

  const live = document.getElementById("live");
  function setLive(state, text) {
    if (!live) return;
    live.className = "live " + state;
    live.textContent = text;
  }

  // "/device/10.0.0.11" or "/host/2001:db8::1", as a link showing the address; with a name
  // (names.h), the name, and the address muted below it and on hover. Names are text from
  // leases and DNS answers: textContent only.
  function addressLink(kind, address, name, shown) {
    const text = shown || address;
    if (!name) {
      const plain = element("a", "history-link addr", text);
      plain.href = "/" + kind + "/" + address;
      return plain;
    }
    const link = element("a", "history-link named");
    link.href = "/" + kind + "/" + address;
    link.title = text;
    link.appendChild(element("span", "name", name));
    link.appendChild(element("span", "address addr", text));
    return link;
  }

  // The page's subject: its name when it has one, with its addresses (and a device's MAC and
  // vendor) beside it, muted.
  function showSubject(name, details) {
    const subject = document.querySelector(".subject");
    const beside = document.getElementById("subject-address");
    if (!subject || !beside) return;
    if (name) {
      subject.textContent = name;
      document.title = name + " \u00b7 netmon";
    }
    beside.textContent = details.filter((d) => d).join(" \u00b7 ");
  }

  function timeNode(iso) {
    if (!iso) return element("span", "none", "\u2014");
    const node = element("time", "", formatLocalTime(Date.parse(iso)));
    node.dateTime = iso;
    node.title = iso;
    return node;
  }

  function bytesNode(bytes) {
    const node = element("span", "", formatBytes(bytes));
    node.title = bytes + " bytes";
    return node;
  }

  // Replaces the rows of tbody#id: cells(row) gives one row's cells, each [node or text,
  // numeric, class].
  function fillTable(id, rows, cells, emptyText) {
    const tbody = document.getElementById(id);
    if (!tbody) return;
    const columns = tbody.closest("table").querySelectorAll("thead th").length;
    const fresh = [];
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const [node, numeric, className] of cells(row)) {
        const td = element("td", [numeric ? "num" : "", className || ""].join(" ").trim());
        td.appendChild(typeof node === "string" ? document.createTextNode(node) : node);
        tr.appendChild(td);
      }
      fresh.push(tr);
    }
    if (fresh.length === 0) {
      const tr = element("tr", "message");
      const td = element("td", "", emptyText);
      td.colSpan = columns;
      tr.appendChild(td);
      fresh.push(tr);
    }
    tbody.replaceChildren(...fresh);
  }

  function tableError(id, error) {
    fillTable(id, [], () => [], "No data: " + error.message);
  }

  // The window the page starts with: ?window= when it is one of the picker's, else 24h.
  function initialWindow() {
    const asked = new URLSearchParams(location.search).get("window");
    return WINDOWS[asked] ? asked : "24h";
  }

  // The buttons of the picker call choose(name, step) with the window and its step; the 30d
  // select changes the step of 30d.
  function windowPicker(choose) {
    const buttons = Array.from(document.querySelectorAll(".windows button[data-window]"));
    const stepSelect = document.getElementById("step-30d");
    let current = initialWindow();
    const stepOf = (name) => (name === "30d" && stepSelect ? Number(stepSelect.value) : WINDOWS[name].step);
    function pick(name) {
      current = name;
      for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.window === name));
      return choose(name, stepOf(name));
    }
    for (const button of buttons) button.addEventListener("click", () => pick(button.dataset.window));
    if (stepSelect) stepSelect.addEventListener("change", () => { if (current === "30d") pick("30d"); });
    return { pick, current: () => current, step: () => stepOf(current) };
  }

  // The ticks of the time axis, at round local times: every 10 minutes for an hour, every 3
  // hours for a day, at local midnights for longer windows. Midnights are stepped with Date,
  // which knows the zone's daylight saving changes.
  function localTicks(min, max) {
    const span = max - min;
    const ticks = [];
    if (span <= 2 * 86400e3) {
      const every = span <= 2 * 3600e3 ? 10 * 60e3 : 3 * 3600e3;
      // The zone's offset from UTC (ms) at min: the ticks fall on local round times.
      const offset = -new Date(min).getTimezoneOffset() * 60e3;
      for (let t = Math.ceil((min + offset) / every) * every - offset; t <= max; t += every) ticks.push(t);
      return ticks;
    }
    const days = span <= 8 * 86400e3 ? 1 : 5;
    const day = new Date(min);
    day.setHours(0, 0, 0, 0);
    if (day.getTime() < min) day.setDate(day.getDate() + 1);
    for (let i = 0; day.getTime() <= max; i += 1) {
      if (i % days === 0) ticks.push(day.getTime());
      day.setDate(day.getDate() + 1);
    }
    return ticks;
  }

  function tickLabel(value, span) {
    const date = new Date(value);
    if (span <= 2 * 86400e3) return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    return date.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }

  // A step for the bytes axis that is round in the units it shows (KiB, MiB, ...): 1, 2, 2.5
  // or 5 times a power of ten of a power of 1024, about a fifth of the largest value.
  function byteStep(max) {
    const target = Math.max(1, max / 5);
    let unit = 1;
    while (target >= unit * 1024) unit *= 1024;
    const scaled = target / unit;
    const decade = Math.pow(10, Math.floor(Math.log10(scaled)));
    for (const factor of [1, 2, 2.5, 5, 10]) {
      if (factor * decade >= scaled) return Math.max(1, factor * decade * unit);
    }
    return 10 * decade * unit;
  }

  function cssColor(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  // The chart of one series of /history.json points: uplink and downlink bytes per bucket.
  // Without Chart.js (libjs-chart.js not installed) the note says so and nothing is drawn.
  function trafficChart(canvasId, noteId) {
    const canvas = document.getElementById(canvasId);
    let chart = null;
    function show(points, step, fromMs, toMs) {
      const uplink = points.map((p) => ({ x: Date.parse(p.t), y: p.uplink_bytes }));
      const downlink = points.map((p) => ({ x: Date.parse(p.t), y: p.downlink_bytes }));
      const total = points.reduce((sum, p) => sum + p.uplink_bytes + p.downlink_bytes, 0);
      setText(noteId, points.length + " buckets of one " + STEP_NAMES[step] + ", " + formatBytes(total) +
        " in all \u00b7 times in " + TIME_ZONE);
      if (typeof window.Chart !== "function" || !canvas) {
        setText(noteId, "No chart: /static/chart.js did not load (netmon-web serves Debian's libjs-chart.js).");
        return;
      }
      const text = cssColor("--muted", "#667085");
      const grid = cssColor("--line", "#e3e8ef");
      const span = toMs - fromMs;
      const datasets = [
        { label: "Uplink (sent)", data: uplink, borderColor: "#1f6feb", backgroundColor: "rgba(31, 111, 235, 0.15)" },
        { label: "Downlink (received)", data: downlink, borderColor: "#12b76a", backgroundColor: "rgba(18, 183, 106, 0.15)" },
      ];
      // A point where there was traffic, none on the zeros.
      const radius = (context) => (context.raw && context.raw.y > 0 ? 3 : 0);
      for (const dataset of datasets) {
        Object.assign(dataset, { fill: true, borderWidth: 1.5, pointRadius: radius, pointHoverRadius: 4, tension: 0 });
      }
      const largest = points.reduce((m, p) => Math.max(m, p.uplink_bytes, p.downlink_bytes), 0);
      if (chart) chart.destroy();
      chart = new window.Chart(canvas, {
        type: "line",
        data: { datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          normalized: true,
          interaction: { mode: "index", intersect: false },
          color: text,
          scales: {
            x: {
              type: "linear",
              min: fromMs,
              max: toMs,
              afterBuildTicks: (scale) => { scale.ticks = localTicks(fromMs, toMs).map((value) => ({ value })); },
              ticks: { color: text, maxRotation: 0, autoSkip: true, callback: (value) => tickLabel(value, span) },
              grid: { color: grid },
              title: { display: true, color: text, text: "Time (" + TIME_ZONE + ")" },
            },
            y: {
              beginAtZero: true,
              ticks: { color: text, stepSize: byteStep(largest), callback: (value) => formatBytes(value) },
              grid: { color: grid },
              title: { display: true, color: text, text: "Bytes per " + STEP_NAMES[step] },
            },
          },
          plugins: {
            legend: { labels: { color: text } },
            tooltip: {
              callbacks: {
                title: (items) => (items.length ? formatLocalTime(items[0].parsed.x) : ""),
                label: (item) => item.dataset.label + ": " + formatBytes(item.parsed.y),
              },
            },
          },
        },
      });
    }
    return { show, chart: () => chart };
  }

  // from and to of /history.json for a window ending now, in Unix seconds.
  function windowRange(name, nowMs) {
    const to = Math.floor(nowMs / 1000);
    return { from: to - WINDOWS[name].seconds, to };
  }

  // The start of today in the browser's zone, and the step that sums it exactly: an hour when
  // local midnight is a UTC hour (most zones), else a minute (India, Nepal, ...).
  function today(nowMs) {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    const from = midnight.getTime();
    return { from: Math.floor(from / 1000), to: Math.floor(nowMs / 1000), step: from % 3600e3 === 0 ? 3600 : 60 };
  }

  function sumPoints(points) {
    const sum = { uplink_bytes: 0, downlink_bytes: 0 };
    for (const p of points) {
      sum.uplink_bytes += p.uplink_bytes;
      sum.downlink_bytes += p.downlink_bytes;
    }
    sum.total_bytes = sum.uplink_bytes + sum.downlink_bytes;
    return sum;
  }

  // A totals tile: the total big, "↑ up ↓ down" below.
  function showTotals(id, totals) {
    setText(id, formatBytes(totals.total_bytes), totals.total_bytes + " bytes");
    setText(id + "-sub", "\u2191 " + formatBytes(totals.uplink_bytes) + " \u2193 " + formatBytes(totals.downlink_bytes));
  }

  const ENDED_BY = { 1: "destroyed", 2: "gone" };
  const endedBy = (value) => (typeof value === "number" ? ENDED_BY[value] || String(value) : String(value));

  // A page's part loader that records its failure in state.errors and on the page, so that one
  // endpoint's error leaves the other parts shown.
  function guard(state) {
    return (load, table) => load().catch((error) => {
      state.errors.push(error.message);
      setLive("error", "Some data could not be read");
      if (table) tableError(table, error);
    });
  }

  // The newest ended flows of a device (side "device", the other end a host) or of a host.
  async function loadFlows(state, side, address) {
    const other = side === "device" ? "host" : "device";
    const body = await fetchJson("/flows.json?" + side + "=" + address + "&limit=20");
    state.flows = body.flows;
    fillTable("flows", body.flows, (f) => [
      [f.proto, false, "proto"],
      [addressLink(other, f[other], other === "host" ? f.remote_name : f.device_name), false],
      [bytesNode(f.uplink_bytes), true],
      [bytesNode(f.downlink_bytes), true],
      [timeNode(f.first_seen_at), false],
      [timeNode(f.ended_at), false],
      [endedBy(f.ended_by), false],
    ], "No ended flows kept.");
  }

  return {
    WINDOWS, fetchJson, guard, loadFlows, setText, notice, setLive, addressLink, showSubject, timeNode, bytesNode, fillTable, tableError,
    windowPicker, trafficChart, windowRange, today, sumPoints, showTotals, endedBy, localTicks, byteStep,
  };
})();
