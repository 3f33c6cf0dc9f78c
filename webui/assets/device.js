// The page of one LAN device, /device/ADDR: its totals for today (from the browser's local
// midnight), 7 and 30 days; a chart of its traffic in the chosen window; its top remote hosts
// in that window; its live connections and its newest ended flows. The history is refreshed
// every minute (the ingest writes it every 10 s), the live connections every 5 s.
"use strict";

(function () {
  const H = window.netmonHistory;
  const { formatDuration, formatLocalTime, element } = window.netmonFormat;
  const address = document.body.dataset.address;
  if (document.body.dataset.page !== "device" || !address) return;
  const device = encodeURIComponent(address);

  const HISTORY_EVERY_MS = 60000;
  const HOSTS_SHOWN = 50;  // the top remote hosts listed (of thousands, for a busy device in 30 days)
  const CONNECTIONS_EVERY_MS = 5000;
  const PORT_PROTOCOLS = new Set(["tcp", "udp", "udplite", "sctp", "dccp"]);
  const state = { address, known: null, record: null, totals: {}, chart: null, hosts: null, connections: null, flows: null,
                  errors: [], ready: false };
  window.netmonPage = state;
  const chart = H.trafficChart("chart", "chart-note");

  const guarded = H.guard(state);

  async function loadRecord() {
    const record = await H.fetchJson("/device.json?device=" + device);
    state.record = record;
    state.known = record.first_seen_at !== null;
    // Its name, and what else says which device it is: its addresses, its MAC, its vendor.
    const addresses = (record.addresses || []).filter((a) => a !== address || record.device_name);
    H.showSubject(record.device_name, [
      addresses.join(", "),
      record.mac && record.mac !== address ? "MAC " + record.mac : "",
      record.mac_random ? "random MAC" : (record.device_name_source !== "oui" ? record.vendor : ""),
    ]);
    if (state.known) {
      H.setText("seen", formatLocalTime(Date.parse(record.first_seen_at)), record.first_seen_at);
      H.setText("seen-sub", "last traffic " + formatLocalTime(Date.parse(record.last_seen_at)) + " \u00b7 " +
        record.connections_seen + " connections in all");
    } else {
      H.setText("seen", "never");
      if (!document.querySelector("#notices .notice")) H.notice("There is no history for " + address + ": netmon has not seen this device send anything " +
        "(or its history is older than the retention keeps).");
    }
  }

  async function loadTotals() {
    const now = Date.now();
    const today = H.today(now);
    const [history, week, month] = await Promise.all([
      H.fetchJson("/history.json?device=" + device + "&from=" + today.from + "&to=" + today.to + "&step=" + today.step),
      H.fetchJson("/devices.json?window=7d"),
      H.fetchJson("/devices.json?window=30d"),
    ]);
    const none = { uplink_bytes: 0, downlink_bytes: 0, total_bytes: 0 };
    // The device's entry: by its MAC, or by any of its addresses (a MAC's are one entry).
    const entry = (list) => list.devices.find((d) => d.device === address || d.mac === address ||
      (d.addresses || []).indexOf(address) >= 0) || none;
    state.totals = { today: H.sumPoints(history.points), "7d": entry(week), "30d": entry(month) };
    H.showTotals("total-today", state.totals.today);
    H.setText("total-today-sub", document.getElementById("total-today-sub").textContent + " \u00b7 since " +
      new Date(today.from * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }));
    H.showTotals("total-7d", state.totals["7d"]);
    H.showTotals("total-30d", state.totals["30d"]);
  }

  async function loadWindow(name, step) {
    const range = H.windowRange(name, Date.now());
    const [history, hosts] = await Promise.all([
      H.fetchJson("/history.json?device=" + device + "&from=" + range.from + "&to=" + range.to + "&step=" + step),
      H.fetchJson("/hosts.json?device=" + device + "&window=" + name + "&limit=" + HOSTS_SHOWN),
    ]);
    state.chart = { window: name, step, from: range.from, to: range.to, points: history.points };
    chart.show(history.points, step, range.from * 1000, range.to * 1000);
    state.hosts = hosts.hosts;
    H.setText("hosts-window", "in the last " + name);
    H.fillTable("hosts", hosts.hosts, (h) => [
      [H.addressLink("host", h.host, h.remote_name), false],
      [H.bytesNode(h.uplink_bytes), true],
      [H.bytesNode(h.downlink_bytes), true],
      [H.bytesNode(h.total_bytes), true],
      [String(h.flows), true],
      [H.timeNode(h.first_seen_at), false],
      [H.timeNode(h.last_seen_at), false],
    ], "No remote hosts in the last " + name + ".");
  }

  async function loadConnections() {
    const connections = await H.fetchJson("/connections.json?src=" + device + "&limit=100");
    state.connections = connections;
    const now = Date.now();
    H.fillTable("connections", connections, (c) => {
      const connectionState = element("span", "", c.state === null ? "\u2014" : c.state);
      const since = element("span", "", formatDuration(now - Date.parse(c.first_seen_at)) + " ago");
      since.title = c.first_seen_at;
      // With its port, as the dashboard writes it.
      const shown = PORT_PROTOCOLS.has(c.proto)
        ? (c.dst_ip.indexOf(":") >= 0 ? "[" + c.dst_ip + "]" : c.dst_ip) + ":" + c.dst_port : c.dst_ip;
      const remote = H.addressLink("host", c.dst_ip, c.remote_name, shown);
      return [
        [c.proto, false, "proto"], [remote, false], [connectionState, false],
        [H.bytesNode(c.uplink_bytes), true], [H.bytesNode(c.downlink_bytes), true], [H.bytesNode(c.total_bytes), true],
        [since, false],
      ];
    }, "No live connections.");
  }

  const loadFlows = () => H.loadFlows(state, "device", device);


  const picker = H.windowPicker((name, step) => guarded(() => loadWindow(name, step), "hosts"));

  async function refresh(first) {
    const parts = [guarded(loadRecord), guarded(loadTotals), guarded(loadFlows, "flows")];
    if (!first) parts.push(guarded(() => loadWindow(picker.current(), picker.step()), "hosts"));
    await Promise.all(parts);
  }

  async function start() {
    H.setLive("ok", "Live");
    await Promise.all([refresh(true), guarded(() => picker.pick(picker.current()), "hosts"),
                       guarded(loadConnections, "connections")]);
    state.ready_ms = Math.round(performance.now());  // since the navigation began
    state.ready = true;
    setInterval(() => { if (!document.hidden) refresh(false); }, HISTORY_EVERY_MS);
    setInterval(() => { if (!document.hidden) guarded(loadConnections, "connections"); }, CONNECTIONS_EVERY_MS);
  }
  start();
})();
