// The report page's own script (runs in the browser): draws each chart of the embedded data with uPlot.
// Every instance is kept in window.safeholdCharts so that a test (or a reader's console) can read what was plotted.
export const PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('safehold-report-data').textContent);
  var colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  function bytes(n) {
    if (n == null) return '-';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], u = 0, x = n;
    while (Math.abs(x) >= 1024 && u < units.length - 1) { x /= 1024; u++; }
    return u === 0 ? n + ' B' : x.toFixed(1) + ' ' + units[u];
  }
  function seconds(s) {
    if (s == null) return '-';
    if (s < 10) return (Math.round(s * 100) / 100) + ' s';
    if (s < 120) return (Math.round(s * 10) / 10) + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    if (s < 172800) return (Math.round(s / 360) / 10) + ' h';
    return (Math.round(s / 8640) / 10) + ' d';
  }
  window.safeholdCharts = [];
  data.charts.forEach(function (c) {
    var el = document.querySelector('[data-chart-id="' + CSS.escape(c.id) + '"]');
    if (!c.x.length) {
      el.textContent = 'no sets yet';
      el.className += ' empty';
      return;
    }
    var fmt = c.unit === 'bytes' ? bytes : seconds;
    var series = [{ label: 'time' }].concat(c.series.map(function (s, i) {
      return {
        label: s.label,
        stroke: s.label === 'maxAge' ? '#888' : colors[i % colors.length],
        dash: s.label === 'maxAge' ? [6, 4] : undefined,
        width: 2,
        points: { show: s.label !== 'maxAge' },
        value: function (u, v) { return fmt(v); }
      };
    }));
    var opts = {
      width: Math.max(320, el.clientWidth || 560),
      height: 220,
      scales: { x: { time: true } },
      // Times in UTC, as in the tables (the Z times of restic and the runner's logs).
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      series: series,
      axes: [{}, { size: 72, values: function (u, vals) { return vals.map(fmt); } }]
    };
    var chart = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
    window.safeholdCharts.push({ id: c.id, unit: c.unit, chart: chart });
  });
  document.body.setAttribute('data-charts-drawn', String(window.safeholdCharts.length));
})();
`;
