// The page of one remote host, /host/ADDR: when netmon first saw it, every LAN device that
// talked to it (when, how much: /host.json), a chart of the traffic with it from all devices
// in the chosen window, and its newest ended flows. Refreshed every minute.
"use strict";

(function () {
  const H = window.netmonHistory;
  const { formatLocalTime } = window.netmonFormat;
  const address = document.body.dataset.address;
  if (document.body.dataset.page !== "host" || !address) return;
  const host = encodeURIComponent(address);

  const HISTORY_EVERY_MS = 60000;
  const state = { address, known: null, record: null, chart: null, flows: null, errors: [], ready: false };
  window.netmonPage = state;
  const chart = H.trafficChart("chart", "chart-note");

  const guarded = H.guard(state);

  async function loadRecord() {
    const record = await H.fetchJson("/host.json?host=" + host);
    state.record = record;
    state.known = record.first_seen_at !== null;
    if (record.remote_name) {
      H.showSubject(record.remote_name, [address, record.remote_name_source === "ptr" ? "name from reverse DNS"
                                                                                      : "name from DNS"]);
    }
    if (state.known) {
      H.setText("seen", formatLocalTime(Date.parse(record.first_seen_at)), record.first_seen_at);
      H.setText("seen-sub", record.connections_seen + " connections in all");
      H.setText("last", formatLocalTime(Date.parse(record.last_seen_at)), record.last_seen_at);
    } else {
      H.setText("seen", "never");
      if (!document.querySelector("#notices .notice")) {
        H.notice("There is no history for " + address + ": no LAN device has talked to it " +
          "(or that is older than the retention keeps).");
      }
    }
    H.setText("device-count", String(record.devices.length));
    H.setText("device-count-sub", record.devices.length === 1 ? "device talked to it" : "devices talked to it");
    H.showTotals("total", record);
    H.fillTable("devices", record.devices, (d) => [
      [H.addressLink("device", d.device, d.device_name, (d.addresses || [d.device]).join(", ")), false],
      [H.bytesNode(d.uplink_bytes), true],
      [H.bytesNode(d.downlink_bytes), true],
      [H.bytesNode(d.total_bytes), true],
      [String(d.connections_seen), true],
      [H.timeNode(d.first_seen_at), false],
      [H.timeNode(d.last_seen_at), false],
    ], "No LAN device has talked to it.");
  }

  async function loadWindow(name, step) {
    const range = H.windowRange(name, Date.now());
    const history = await H.fetchJson("/history.json?host=" + host + "&from=" + range.from + "&to=" + range.to +
      "&step=" + step);
    state.chart = { window: name, step, from: range.from, to: range.to, points: history.points };
    chart.show(history.points, step, range.from * 1000, range.to * 1000);
  }

  const loadFlows = () => H.loadFlows(state, "host", host);


  const picker = H.windowPicker((name, step) => guarded(() => loadWindow(name, step)));

  async function start() {
    H.setLive("ok", "Live");
    await Promise.all([guarded(loadRecord, "devices"), guarded(loadFlows, "flows"),
                       guarded(() => picker.pick(picker.current()))]);
    state.ready_ms = Math.round(performance.now());  // since the navigation began
    state.ready = true;
    setInterval(() => {
      if (document.hidden) return;
      guarded(loadRecord, "devices");
      guarded(loadFlows, "flows");
      guarded(() => loadWindow(picker.current(), picker.step()));
    }, HISTORY_EVERY_MS);
  }
  start();
})();
