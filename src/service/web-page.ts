/**
 * The web page at `/`, for a marketer: upload a CSV, pick features from its
 * header, watch the elbow sweep's progress, then see the segments and the
 * report inline and download the labels and the model. Plain HTML, CSS and
 * JS served by the service itself: no CDN, no build step, no inline script
 * (the page's Content-Security-Policy forbids it).
 */

const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>segmenta — customer segments</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<header><h1>segmenta</h1><p>Drop a customer table, pick what to segment on, get named segments.</p></header>
<main>
  <section id="auth" hidden>
    <label>Access token <input id="token" type="password" autocomplete="off"></label>
    <p class="hint">This server needs a token. Ask whoever runs it.</p>
  </section>
  <section id="upload">
    <h2>1. Customers</h2>
    <input id="file" type="file" accept=".csv,.tsv,.txt,.parquet">
    <p id="file-info" class="hint">A CSV with a header row. The first column is taken as the customer id.</p>
  </section>
  <section id="features" hidden>
    <h2>2. Segment on</h2>
    <div id="feature-list"></div>
    <p id="parquet-hint" class="hint" hidden>Parquet: type the feature columns, comma-separated. <input id="feature-text" type="text" size="50"></p>
    <div class="options">
      <label>Segments <select id="k"><option value="auto" selected>automatic (elbow)</option></select></label>
      <label>Scaling <select id="scale"><option value="none" selected>none (same units)</option><option value="standard">standard (mixed units)</option><option value="minmax">min-max</option></select></label>
      <button id="run" type="button">Find segments</button>
    </div>
  </section>
  <section id="progress-section" hidden>
    <h2>3. Working</h2>
    <progress id="progress" max="100" value="0"></progress> <span id="progress-text">0%</span>
    <p id="status-line" class="hint"></p>
    <svg id="elbow" width="420" height="160" role="img" aria-label="WCSS elbow sweep"></svg>
    <button id="cancel" type="button">Cancel</button>
  </section>
  <p id="error" class="error" role="alert" hidden></p>
  <section id="result" hidden>
    <h2>4. Segments</h2>
    <p id="result-summary"></p>
    <table id="segments"><thead><tr><th>#</th><th>Segment</th><th>Customers</th><th>Share</th><th>What to do</th></tr></thead><tbody></tbody></table>
    <p class="downloads"><button id="download-labels" type="button">Download labels.csv</button> <button id="download-model" type="button">Download model.json</button></p>
    <iframe id="report" title="segmentation report" sandbox></iframe>
  </section>
</main>
<script src="app.js"></script>
</body>
</html>
`;

const APP_CSS = String.raw`
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #f6f7fb; }
header { background: #283593; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; opacity: .85; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
section { background: #fff; border-radius: 8px; padding: 12px 18px; margin: 14px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 17px; margin: 4px 0 10px; }
.hint { color: #5b6478; font-size: 13px; }
.error { background: #fdecea; color: #8a1c12; padding: 10px 14px; border-radius: 6px; }
#feature-list label { display: inline-block; margin: 2px 14px 2px 0; }
.options { margin-top: 10px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #283593; background: #283593; color: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
#cancel { background: #fff; color: #283593; }
progress { width: 320px; height: 14px; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6ef; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
iframe { width: 100%; height: 900px; border: 1px solid #e3e6ef; border-radius: 6px; margin-top: 12px; background: #fff; }
svg .axis { stroke: #9aa3b5; } svg .line { fill: none; stroke: #283593; stroke-width: 2; } svg circle { fill: #283593; } svg text { font-size: 11px; fill: #5b6478; }
`;

// Plain browser JS (no template literals, so it can live in this TS string).
const APP_JS = String.raw`
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var base = location.pathname.replace(/[^/]*$/, '');
  var state = { file: null, columns: [], jobID: null, abort: null, sweep: [] };

  function headers(extra) {
    var h = extra || {};
    var token = $('token').value.trim();
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }
  function showError(text) { var e = $('error'); e.textContent = text; e.hidden = !text; }
  async function api(path, init) {
    init = init || {};
    init.headers = headers(init.headers);
    var res = await fetch(base + path, init);
    if (res.status === 401) { $('auth').hidden = false; throw new Error('this server needs an access token: enter it above and try again'); }
    if (!res.ok) {
      var body = null;
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      throw new Error(body && body.detail ? body.detail : 'the server answered ' + res.status);
    }
    return res;
  }

  // CSV header: split one line on commas outside quotes.
  function splitCsvLine(line, sep) {
    var out = [], cur = '', quoted = false;
    for (var i = 0; i < line.length; i++) {
      var c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === sep) { out.push(cur); cur = ''; }
      else cur += c;
    }
    out.push(cur);
    return out.map(function (s) { return s.trim(); });
  }

  async function onFile() {
    showError('');
    var file = $('file').files[0];
    state.file = file || null;
    $('features').hidden = !file;
    $('result').hidden = true;
    if (!file) return;
    var list = $('feature-list');
    list.textContent = '';
    var isParquet = /\.parquet$/i.test(file.name);
    $('parquet-hint').hidden = !isParquet;
    if (isParquet) { $('file-info').textContent = file.name + ' (Parquet)'; return; }
    var text = await file.slice(0, 65536).text();
    var lines = text.split(/\r?\n/).filter(function (l) { return l.length > 0; });
    var sep = /\.tsv$/i.test(file.name) ? '\t' : ',';
    var header = splitCsvLine(lines[0] || '', sep);
    var sample = lines.slice(1, 50).map(function (l) { return splitCsvLine(l, sep); });
    state.columns = header;
    $('file-info').textContent = file.name + ': ' + header.length + ' columns, ' + (file.size / 1024).toFixed(1) + ' KB';
    header.forEach(function (name, i) {
      var numeric = sample.length > 0 && sample.every(function (r) { return r[i] !== undefined && r[i] !== '' && isFinite(Number(r[i])); });
      var label = document.createElement('label');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      box.dataset.numeric = String(numeric);
      // The first column is the customer id; categorical columns are profiled, not clustered.
      box.checked = false;
      box.disabled = i === 0;
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + name + (i === 0 ? ' (id)' : numeric ? '' : ' (category)')));
      list.appendChild(label);
    });
  }

  function chosenFeatures() {
    if (!$('parquet-hint').hidden) return $('feature-text').value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    return Array.prototype.slice.call(document.querySelectorAll('#feature-list input:checked')).map(function (b) { return b.value; });
  }

  function drawElbow() {
    var svg = $('elbow');
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pts = state.sweep;
    if (pts.length === 0) return;
    var NS = 'http://www.w3.org/2000/svg';
    var w = 420, h = 160, m = 28;
    var maxK = Math.max(10, pts[pts.length - 1].k), maxW = Math.max.apply(null, pts.map(function (p) { return p.wcss; }));
    var x = function (k) { return m + (w - 2 * m) * (k - 1) / Math.max(1, maxK - 1); };
    var y = function (v) { return h - m - (h - 2 * m) * v / maxW; };
    var axis = document.createElementNS(NS, 'path');
    axis.setAttribute('class', 'axis');
    axis.setAttribute('d', 'M' + m + ' ' + (h - m) + 'H' + (w - m) + 'M' + m + ' ' + (h - m) + 'V' + m);
    svg.appendChild(axis);
    var line = document.createElementNS(NS, 'path');
    line.setAttribute('class', 'line');
    line.setAttribute('d', pts.map(function (p, i) { return (i ? 'L' : 'M') + x(p.k).toFixed(1) + ' ' + y(p.wcss).toFixed(1); }).join(''));
    svg.appendChild(line);
    pts.forEach(function (p) {
      var c = document.createElementNS(NS, 'circle');
      c.setAttribute('cx', x(p.k).toFixed(1)); c.setAttribute('cy', y(p.wcss).toFixed(1)); c.setAttribute('r', '3');
      svg.appendChild(c);
    });
    var label = document.createElementNS(NS, 'text');
    label.setAttribute('x', String(m)); label.setAttribute('y', '14');
    label.textContent = 'WCSS by number of segments (k = 1..' + pts[pts.length - 1].k + ')';
    svg.appendChild(label);
  }

  function setProgress(p, line) {
    $('progress').value = p;
    $('progress-text').textContent = p + '%';
    if (line) $('status-line').textContent = line;
  }

  // Server-Sent Events over fetch, so the Authorization header can be sent.
  async function follow(jobID) {
    var controller = new AbortController();
    state.abort = controller;
    var lastId = 0, finalStatus = null;
    while (!finalStatus && !controller.signal.aborted) {
      var res;
      try {
        res = await api('jobs/' + jobID + '/events', { headers: lastId ? { 'Last-Event-ID': String(lastId) } : {}, signal: controller.signal });
      } catch (e) {
        if (controller.signal.aborted) return null;
        throw e;
      }
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = '';
      for (;;) {
        var chunk;
        try { chunk = await reader.read(); } catch (e) { break; }
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        var cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
          var ev = { id: 0, event: 'message', data: '' };
          block.split('\n').forEach(function (line) {
            if (line.indexOf('id: ') === 0) ev.id = Number(line.slice(4));
            else if (line.indexOf('event: ') === 0) ev.event = line.slice(7);
            else if (line.indexOf('data: ') === 0) ev.data += line.slice(6);
          });
          if (!ev.data) continue;
          lastId = ev.id || lastId;
          var data = JSON.parse(ev.data);
          if (ev.event === 'progress') {
            if (data.kind === 'sweep-k') { state.sweep.push({ k: data.k, wcss: data.wcss }); drawElbow(); }
            var line = data.kind === 'sweep-k' ? 'sweep: k = ' + data.k + ' of ' + data.total : data.kind === 'phase' ? data.phase + (data.detail ? ': ' + data.detail : '') : null;
            setProgress(data.progress, line);
          } else if (ev.event === 'status') {
            setProgress(data.progress, data.message);
            if (data.status === 'successful' || data.status === 'failed' || data.status === 'dismissed') finalStatus = data;
          }
        }
      }
    }
    return finalStatus;
  }

  async function run() {
    showError('');
    var features = chosenFeatures();
    if (!state.file) return showError('choose a file first');
    if (features.length === 0) return showError('tick at least one column to segment on (e.g. income and spending)');
    $('run').disabled = true;
    $('result').hidden = true;
    $('progress-section').hidden = false;
    state.sweep = []; drawElbow(); setProgress(0, 'uploading ' + state.file.name);
    var k = $('k').value;
    var inputs = { features: features, k: k === 'auto' ? 'auto' : Number(k), scale: $('scale').value, seed: 42, nInit: 10 };
    var form = new FormData();
    form.append('inputs', JSON.stringify(inputs));
    form.append('data', state.file, state.file.name);
    try {
      var job = await (await api('processes/report/execution', { method: 'POST', body: form })).json();
      state.jobID = job.jobID;
      var status = await follow(job.jobID);
      if (!status) return;
      if (status.status !== 'successful') throw new Error(status.status === 'dismissed' ? 'cancelled' : status.message);
      await showResult(job.jobID, status);
    } catch (e) {
      showError(e.message || String(e));
    } finally {
      $('run').disabled = false;
      $('progress-section').hidden = true;
    }
  }

  async function showResult(jobID, status) {
    var files = (status.links || []).filter(function (l) { return l.rel === 'enclosure'; }).map(function (l) { return l.title; });
    $('download-labels').hidden = files.indexOf('labels.csv') < 0;
    $('download-model').hidden = files.indexOf('model.json') < 0;
    var results = await (await api('jobs/' + jobID + '/results')).json();
    $('result-summary').textContent = results.k + ' segments of ' + results.rows.toLocaleString('en-US') + ' customers' +
      (results.suggestedK === results.k ? ' (k at the elbow of the WCSS sweep)' : '') + ', segmented on ' + results.features.join(', ') + '.';
    var body = document.querySelector('#segments tbody');
    body.textContent = '';
    results.segments.forEach(function (s) {
      var tr = document.createElement('tr');
      tr.className = 'segment';
      [String(s.segment), s.name, s.size.toLocaleString('en-US'), (100 * s.share).toFixed(1) + '%', s.action].forEach(function (v, i) {
        var td = document.createElement('td');
        td.textContent = v;
        if (i === 0 || i === 2 || i === 3) td.className = 'num';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var html = await (await api('jobs/' + jobID + '/results/report/index.html')).text();
    $('report').srcdoc = html;
    $('result').hidden = false;
    $('result').dataset.segments = String(results.segments.length);
  }

  async function download(name) {
    try {
      var blob = await (await api('jobs/' + state.jobID + '/results/' + name)).blob();
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    } catch (e) { showError(e.message); }
  }

  async function cancel() {
    if (state.abort) state.abort.abort();
    if (state.jobID) { try { await api('jobs/' + state.jobID, { method: 'DELETE' }); } catch (e) { /* already gone */ } }
    showError('cancelled');
  }

  // Ask for the token up front when the server needs one (/health says so without one).
  fetch(base + 'health').then(function (r) { return r.json(); }).then(function (h) { if (h.auth) $('auth').hidden = false; }).catch(function () { /* offline */ });
  for (var k = 2; k <= 10; k++) { var o = document.createElement('option'); o.value = String(k); o.textContent = String(k); $('k').appendChild(o); }
  $('file').addEventListener('change', function () { onFile().catch(function (e) { showError(e.message); }); });
  $('run').addEventListener('click', run);
  $('cancel').addEventListener('click', cancel);
  $('download-labels').addEventListener('click', function () { download('labels.csv'); });
  $('download-model').addEventListener('click', function () { download('model.json'); });
})();
`;

/** The page's files by URL path (relative to the service's prefix). */
export const WEB_PAGE_FILES: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
};
