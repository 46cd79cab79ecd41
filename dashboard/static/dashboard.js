// Refreshes the live sections from the server's last snapshot, and draws the bench charts.
// The server escapes everything it renders; this only swaps its HTML in when it changed.
(function () {
  const every = Number(document.body.dataset.refreshMs) || 2000;
  const offline = document.getElementById('offline');
  const targets = { status: document.getElementById('status') };
  document.querySelectorAll('[data-section]').forEach((el) => { targets[el.dataset.section] = el; });
  const last = {};

  async function refresh() {
    try {
      const response = await fetch('/sections', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) throw new Error(String(response.status));
      const sections = await response.json();
      offline.hidden = true;
      for (const [name, html] of Object.entries(sections)) {
        const el = targets[name];
        if (el && last[name] !== html && !el.contains(document.activeElement)) {
          el.innerHTML = html;
          last[name] = html;
        }
      }
    } catch (error) {
      offline.hidden = false;
    }
    setTimeout(refresh, every);
  }
  setTimeout(refresh, every);

  const charts = document.getElementById('charts');
  if (!charts || typeof uPlot === 'undefined') return;
  fetch('/bench.json').then((r) => r.json()).then((runs) => {
    charts.textContent = '';
    if (!runs.length) {
      charts.textContent = 'No runs yet: make bench records each run in build/bench/history.jsonl.';
      return;
    }
    const commits = runs.map((run) => run.commit);
    const xs = runs.map((_, i) => i);
    const figure = (title, pick, value) => {
      const names = [];
      runs.forEach((run) => run.rows.forEach((row) => {
        const name = `${row.path}: ${row.measure}`;
        if (pick(row) && !names.includes(name)) names.push(name);
      }));
      if (!names.length) return;
      const data = [xs, ...names.map((name) => runs.map((run) => {
        const row = run.rows.find((r) => `${r.path}: ${r.measure}` === name);
        return row ? value(row) : null;
      }))];
      const box = document.createElement('div');
      box.className = 'chart';
      const heading = document.createElement('h4');
      heading.textContent = title;
      box.appendChild(heading);
      charts.appendChild(box);
      const hues = [210, 20, 120, 280, 50, 330, 170, 0, 250, 90];
      new uPlot({
        width: Math.min(charts.clientWidth || 900, 900),
        height: 260,
        scales: { x: { time: false } },
        axes: [{ values: (u, ticks) => ticks.map((t) => commits[t] || '') , incrs: [1] }, {}],
        series: [{ label: 'run (commit)', value: (u, v) => (v == null ? '' : commits[v]) },
          ...names.map((name, i) => ({ label: name, stroke: `hsl(${hues[i % hues.length]} 70% 45%)`, width: 2, spanGaps: true }))],
      }, data, box);
    };
    // Per-request latencies only: a burst's time to its last order is minutes, and would flatten the rest.
    const sampled = (row) => row.unit === 'ms' && row.n >= 50 && row.path !== 'floor' && !/ to last order|under load/.test(row.measure);
    figure('p50 per path (ms)', sampled, (row) => row.p50);
    figure('p99 per path (ms)', sampled, (row) => row.p99);
    figure('throughput (orders/s)', (row) => row.unit === 'orders/s', (row) => row.p50);
  }).catch(() => { charts.textContent = 'Could not read the runs.'; });
})();
