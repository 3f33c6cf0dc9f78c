// netmon's dashboard, kept live. The server renders the whole page; this polls
// /connections.json every second and replaces only the table's <tbody>, and /metrics.json
// every two seconds for the tiles, the summary line and the notices. Data goes into the page
// through textContent only, never as markup. The query parameters of the page's filter stay.
"use strict";

(function () {
  const CONNECTIONS_EVERY_MS = 1000;
  const METRICS_EVERY_MS = 2000;

  const table = document.querySelector("table.connections");
  let tbody = document.getElementById("connections");
  if (!table || !tbody) return;
  const query = tbody.dataset.query || "";
  const limit = Number(new URLSearchParams(query).get("limit") || 500);

  // The server's clock minus ours, so that "5 s ago" means the router's time.
  let clockOffset = 0;
  const renderedAt = Date.parse(document.body.dataset.now || "");
  if (!isNaN(renderedAt)) clockOffset = renderedAt - Date.now();
  const serverNow = () => Date.now() + clockOffset;

  // Human units and the rest, shared with the history pages (format.js).
  const { formatBytes, formatRate, formatCount, formatDuration, element } = window.netmonFormat;

  const PORT_PROTOCOLS = new Set(["tcp", "udp", "udplite", "sctp", "dccp"]);

  // The endpoint as a link to its history page: the LAN side to /device/, the remote side to
  // /host/ (webui/history_pages.h). Returns the link, for the badge to go in too.
  // With a name (the device's, or the one the remote host was asked for: names.h), the name
  // comes first and the address follows, muted, on a line of its own; title says the address
  // (and a device's MAC). Names are text from leases and DNS answers: textContent only.
  function endpoint(cell, ip, port, proto, remote, name, title) {
    const v6 = ip.indexOf(":") >= 0;
    const ports = PORT_PROTOCOLS.has(proto);
    const link = element("a", name ? "history-link named" : "history-link");
    if (title) link.title = title;
    link.href = (remote ? "/host/" : "/device/") + ip;
    let into = link;
    if (name) {
      link.appendChild(element("span", "name", name));
      into = element("span", "address");
      link.appendChild(into);
    }
    into.appendChild(element("span", "addr", ports && v6 ? "[" + ip + "]" : ip));
    if (ports) {
      into.appendChild(element("span", "port", ":" + port));
    } else if ((proto === "icmp" || proto === "icmpv6") && remote) {
      into.appendChild(element("span", "port", " type " + (port >> 8) + " code " + (port & 255)));
    }
    cell.appendChild(link);
    return link;
  }

  // The hover text of a side, as the server writes it (webui/dashboard.cpp).
  function endpointTitle(ip, port, ports, c) {
    let title = ip + (ports ? " port " + port : "");
    if (c && c.mac) {
      title += " \u00b7 MAC " + c.mac + (c.mac_random ? " (random)" : "");
      if (c.vendor) title += " \u00b7 " + c.vendor;
    }
    return title;
  }

  // The vendor below a device, or that its MAC is random.
  function deviceDetails(cell, c) {
    if (c.mac_random) {
      cell.appendChild(document.createTextNode(" "));
      const random = element("span", "vendor random", "random MAC");
      random.title = "a locally administered (random) MAC: no vendor";
      cell.appendChild(random);
    } else if (c.vendor && c.device_name_source !== "oui") {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(element("span", "vendor", c.vendor));
    }
  }

  function bytesCell(bytes, packets) {
    const cell = element("td", "num", formatBytes(bytes));
    cell.title = bytes + " bytes, " + packets + " packets";
    return cell;
  }

  function timeCell(iso, now) {
    const cell = element("td", "time");
    const time = element("time", "", formatDuration(now - Date.parse(iso)) + " ago");
    time.dateTime = iso;
    time.title = iso;
    cell.appendChild(time);
    return cell;
  }

  function connectionRow(c, now) {
    const row = document.createElement("tr");
    if (!c.seen_before) row.className = "new";
    row.appendChild(element("td", "proto", c.proto));
    const ports = PORT_PROTOCOLS.has(c.proto);
    const device = element("td", "endpoint");
    endpoint(device, c.src_ip, c.src_port, c.proto, false, c.device_name,
             endpointTitle(c.src_ip, c.src_port, ports, c));
    deviceDetails(device, c);
    row.appendChild(device);
    const remote = element("td", "endpoint");
    const remoteTitle = c.remote_name
      ? endpointTitle(c.dst_ip, c.dst_port, ports, null) + " \u00b7 name from " +
        (c.remote_name_source === "ptr" ? "reverse DNS" : "DNS")
      : "";
    const remoteLink = endpoint(remote, c.dst_ip, c.dst_port, c.proto, true, c.remote_name, remoteTitle);
    remoteLink.appendChild(document.createTextNode(" "));
    const badge = c.seen_before
      ? element("span", "badge seen", "SEEN")
      : element("span", "badge new", "NEW");
    badge.title = c.seen_before ? "first seen more than 60 s ago" : "first seen less than 60 s ago";
    remoteLink.appendChild(badge);
    row.appendChild(remote);
    const state = element("td", "state");
    if (c.state === null) state.appendChild(element("span", "none", "\u2014"));
    else state.appendChild(document.createTextNode(c.state));
    for (const flag of c.flags) {
      state.appendChild(document.createTextNode(" "));
      state.appendChild(element("span", "flag", flag));
    }
    row.appendChild(state);
    row.appendChild(bytesCell(c.uplink_bytes, c.uplink_packets));
    row.appendChild(bytesCell(c.downlink_bytes, c.downlink_packets));
    row.appendChild(bytesCell(c.total_bytes, c.uplink_packets + c.downlink_packets));
    const rate = element("td", "num rate");
    if (c.uplink_rate > 0 || c.downlink_rate > 0) {
      rate.textContent = "\u2191 " + formatRate(c.uplink_rate) + " \u2193 " + formatRate(c.downlink_rate);
    } else {
      rate.appendChild(element("span", "none", "idle"));
    }
    row.appendChild(rate);
    row.appendChild(timeCell(c.first_seen_at, now));
    row.appendChild(timeCell(c.last_seen_at, now));
    return row;
  }

  function messageRow(text) {
    const row = element("tr", "message");
    const cell = element("td", "", text);
    cell.colSpan = 10;
    row.appendChild(cell);
    return row;
  }

  // Only the <tbody> changes: a new one takes the old one's place.
  function replaceBody(rows) {
    const fresh = document.createElement("tbody");
    fresh.id = "connections";
    fresh.dataset.query = query;
    for (const row of rows) fresh.appendChild(row);
    table.replaceChild(fresh, tbody);
    tbody = fresh;
  }

  const live = document.getElementById("live");
  function setLive(state, text) {
    if (!live) return;
    live.className = "live " + state;
    live.textContent = text;
  }

  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") return body.error;
    } catch (ignored) {
      // not JSON: the status says enough
    }
    return "HTTP " + response.status;
  }

  function fetchJson(path) {
    return fetch(path, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } });
  }

  let connectionsBusy = false;
  async function pollConnections() {
    if (connectionsBusy || document.hidden) return;
    connectionsBusy = true;
    try {
      const response = await fetchJson("/connections.json" + (query ? "?" + query : ""));
      if (!response.ok) {
        const error = await errorOf(response);
        replaceBody([messageRow("No data: " + error)]);
        setLive("error", "No data");
        return;
      }
      const connections = await response.json();
      const now = serverNow();
      const rows = connections.map((c) => connectionRow(c, now));
      if (rows.length === 0) rows.push(messageRow("No active connections match."));
      replaceBody(rows);
      const caption = table.querySelector("caption");
      if (caption) {
        caption.textContent = "Active connections by total bytes" +
          (connections.length === limit ? ", the first " + limit : "");
      }
      setLive("ok", "Live");
    } catch (error) {
      setLive("error", "Cannot reach netmon-web, retrying");
    } finally {
      connectionsBusy = false;
    }
  }

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
  }

  function updateTiles(metrics) {
    if (metrics.loadavg) setText("load", metrics.loadavg.map((v) => v.toFixed(2)).join(" "));
    const memory = document.getElementById("memory");
    if (memory && metrics.memory) {
      memory.textContent = formatBytes(metrics.memory.used_bytes) + " ";
      memory.appendChild(element("span", "of", "of " + formatBytes(metrics.memory.total_bytes)));
      const meter = document.getElementById("memory-meter");
      if (meter && metrics.memory.total_bytes > 0) meter.value = metrics.memory.used_bytes / metrics.memory.total_bytes;
    }
    for (const sample of metrics.interfaces || []) {
      const tile = Array.from(document.querySelectorAll(".tile.interface"))
        .find((node) => node.dataset.interface === sample.name);
      if (!tile) continue;
      const error = tile.querySelector(".error");
      if (error) error.textContent = sample.error || "";
      for (const direction of ["rx", "tx"]) {
        const line = tile.querySelector(".direction." + direction);
        if (!line) continue;
        const rate = line.querySelector(".rate");
        const total = line.querySelector(".total");
        if (sample.error) {
          rate.textContent = "\u2014";
          total.textContent = "";
          continue;
        }
        rate.textContent = sample.rates ? formatRate(sample.rates[direction + "_bytes"]) : "\u2014";
        total.textContent = formatBytes(sample[direction + "_bytes"]) + ", " +
          formatCount(sample[direction + "_packets"]) + " packets";
      }
    }
  }

  function updateSummary(netmon) {
    const summary = document.getElementById("summary");
    if (!summary) return;
    summary.replaceChildren();
    if (netmon.error) return;
    const strong = (text) => summary.appendChild(element("strong", "", String(text)));
    const plain = (text) => summary.appendChild(document.createTextNode(text));
    strong(netmon.active_connections);
    plain(" active connections to ");
    strong(netmon.active_remote_hosts);
    plain(" remote hosts \u00b7 ");
    strong(netmon.new_remote_hosts);
    plain(" hosts new in the last 60 s \u00b7 last ingest cycle ");
    if (netmon.last_cycle_age_ms === null) {
      strong("never");
    } else {
      strong(formatDuration(netmon.last_cycle_age_ms));
      plain(" ago");
    }
    const coverage = netmon.coverage;
    if (coverage && typeof coverage.ratio === "number") {
      plain(" \u00b7 netmon sees ");
      strong(formatPercent(coverage.ratio));
      plain(" of the WAN's bytes this hour (");
      const why = element("a", "", "why not all");
      why.href = "/coverage";
      summary.appendChild(why);
      plain(")");
    }
  }

  // As the server writes it (coverage.cpp, percent_text): one decimal, 100% from 99.95%.
  function formatPercent(ratio) {
    const percent = ratio * 100;
    if (percent >= 99.95 && percent < 100.05) return "100%";
    return (Math.round(percent * 10) / 10).toFixed(1) + "%";
  }

  function updateNotices(notices) {
    const box = document.getElementById("notices");
    if (!box) return;
    box.replaceChildren(...notices.map((n) => element("p", "notice " + (n.level === "error" ? "error" : "warning"), n.text)));
  }

  let metricsBusy = false;
  async function pollMetrics() {
    if (metricsBusy || document.hidden) return;
    metricsBusy = true;
    try {
      const response = await fetchJson("/metrics.json");
      if (!response.ok) return;
      const metrics = await response.json();
      const now = Date.parse(metrics.netmon.now);
      if (!isNaN(now)) clockOffset = now - Date.now();
      updateTiles(metrics);
      updateSummary(metrics.netmon);
      updateNotices(metrics.netmon.notices || []);
    } catch (error) {
      setLive("error", "Cannot reach netmon-web, retrying");
    } finally {
      metricsBusy = false;
    }
  }

  // A hidden tab does not poll: a router has better things to do.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      pollConnections();
      pollMetrics();
    }
  });
  setLive("ok", "Live");
  setInterval(pollConnections, CONNECTIONS_EVERY_MS);
  setInterval(pollMetrics, METRICS_EVERY_MS);
  pollMetrics();
})();
