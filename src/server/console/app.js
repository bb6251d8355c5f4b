// The Licensing Manager console: one page, one route per hash
// (#dashboard, #history, ...), reading and changing everything through the
// web services as the browser's logged-in session. Every text is set with
// textContent, never as HTML: names come from license files and clients.
'use strict';

const AUDIT_KINDS = ['released', 'licenses_read', 'settings_changed', 'account_set',
  'account_removed', 'shutdown_requested', 'token_created', 'token_revoked'];
// The settings the Settings page edits, with their choices (none: free text).
const EDITED = [
  ['burst_mode', ['on', 'off']],
  ['renewal_check', ['notify', 'install', 'manual']],
  ['proxy', null],
  ['console_language', ['en', 'fr', 'de', 'es', 'ja', 'zh-CN']],
  ['history_sample_period', null],
];
const LANGUAGES = ['en', 'fr', 'de', 'es', 'ja', 'zh-CN'];

const state = { session: null, text: {}, english: {}, lang: 'en', status: null, settings: [], names: [] };

const $ = (id) => document.getElementById(id);

// The text of `key` in the chosen language, English when it has none.
function t(key, values) {
  let s = state.text[key] || state.english[key] || key;
  for (const [k, v] of Object.entries(values || {})) s = s.replace('{' + k + '}', v);
  return s;
}

// An element with its text and attributes.
function el(name, text, attrs) {
  const e = document.createElement(name);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function row(cells, attrs) {
  const tr = el('tr', null, attrs);
  for (const c of cells) {
    if (c instanceof Node) { const td = el('td'); td.append(c); tr.append(td); }
    else if (Array.isArray(c)) tr.append(el('td', c[1], { 'data-col': c[0] }));
    else tr.append(el('td', c));
  }
  return tr;
}

function fill(tableId, rows, emptyKey) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const cols = $(tableId).tHead.rows[0].cells.length;
    body.append(el('tr', null, {}));
    body.lastChild.append(el('td', t(emptyKey || 'none'), { colspan: cols }));
  }
}

// Says something in the live region, for every reader of the page.
function notice(text, bad) {
  const n = $('notice');
  n.hidden = !text;
  n.textContent = text;
  n.className = text ? (bad ? 'bad' : 'good') : '';
}

// GET a path of the web services; the answer's JSON.
async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Refusal(r.status, body);
  return body;
}

// A refusal from the server, with its reason.
class Refusal extends Error {
  constructor(status, body) {
    super((body && (body.reason || body.text)) || ('HTTP ' + status));
    this.status = status;
  }
}

// POSTs `body` (a protocol request, or a license file's text) with the
// session's CSRF token; the answer's JSON.
async function post(path, body, type) {
  const r = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': type || 'application/json', 'X-Lmutil-Csrf': state.session.csrf },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const answer = await r.json().catch(() => null);
  if (!r.ok || (answer && answer.type === 'error')) throw new Refusal(r.status, answer);
  return answer;
}

const call = (request) => post('/api/v1/request', request);

// A change: done, said in the live region, or refused with the reason.
async function change(what, done) {
  notice('');
  try {
    await what();
    notice(t('done'));
    if (done) await done();
  } catch (e) {
    notice(t('refused', { reason: e.message }), true);
  }
}

function isAdmin() { return state.session && state.session.role === 'admin'; }

// ---- language

async function catalogue(lang) {
  const r = await fetch('/assets/i18n/' + lang + '.json', { credentials: 'same-origin' });
  return r.json();
}

async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = 'en';
  state.lang = lang;
  state.text = await catalogue(lang);
  document.documentElement.lang = lang;
  $('language').value = lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  document.title = t('title');
  $('nav').setAttribute('aria-label', t('nav.label'));
}

// ---- pages

const PAGES = {
  dashboard: loadDashboard,
  history: loadHistory,
  install: async () => {},
  update: loadUpdate,
  users: async () => {},
  settings: loadSettings,
  events: loadEvents,
};

async function show() {
  if (!state.session) return;
  let page = location.hash.slice(1);
  if (!PAGES[page]) page = 'dashboard';
  notice('');
  delete document.body.dataset.loaded;
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== page;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === '#' + page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    await PAGES[page]();
    document.body.dataset.loaded = page;
  } catch (e) {
    notice(t('refused', { reason: e.message }), true);
  }
}

function modelName(m) { return m ? t('model.' + m) : '—'; }

// A feature's product name in the chosen language from the license files'
// #CITRIXTERM lines (their language codes are written EN, ZH_CN, ...), else
// the English one, else the feature itself.
function productName(p) {
  const names = state.names.filter((n) => n.feature === p.feature);
  const code = (n) => n.language.toLowerCase().replace('_', '-');
  const lang = state.lang.toLowerCase();
  const found = names.find((n) => code(n) === lang) || names.find((n) => code(n) === lang.split('-')[0])
    || names.find((n) => code(n) === 'en');
  if (found) return found.product + ' | ' + found.model;
  // The server's own licenses have names in the console's catalogue.
  return state.text['product.' + p.feature] || state.english['product.' + p.feature] || p.feature;
}

function burstText(b) {
  if (b.state === 'active') {
    return t('burst.active', { until: new Date((b.started + 15 * 86400) * 1000).toLocaleDateString(state.lang) });
  }
  return t('burst.' + b.state);
}

async function loadDashboard() {
  const [status, info] = await Promise.all([get('/api/v1/status?parts=pools,alerts'), get('/api/v1/info')]);
  state.names = info.product_names || [];
  state.status = status;
  const live = status.pools.filter((p) => !p.removed);
  const products = new Map();
  for (const p of live) {
    const key = p.feature + '\u0000' + (p.model || '');
    const sum = products.get(key) || { pool: p, in_use: 0, installed: 0 };
    sum.in_use += p.in_use;
    sum.installed += p.expired ? 0 : p.installed;
    products.set(key, sum);
  }
  fill('products', [...products.values()].map((s) => {
    const available = Math.max(s.installed - s.in_use, 0);
    const pct = s.installed ? Math.round((available * 100) / s.installed) : 0;
    return row([['product', productName(s.pool)], ['model', modelName(s.pool.model)],
      ['in_use_installed', s.in_use + ' / ' + s.installed], ['available', available],
      ['available_pct', pct + '%']], { 'data-feature': s.pool.feature });
  }), 'dash.none');
  fill('pools', live.map((p) => row([['product', productName(p)], ['css', p.version],
    ['installed', p.installed], ['overdraft', p.overdraft], ['in_use', p.in_use],
    ['available', Math.max(p.installed - p.in_use, 0)],
    ['expiration', p.expired ? t('expired') : String(p.expiry)],
    ['type', p.license_type || '—'], ['burst', burstText(p.burst)]],
  { 'data-feature': p.feature, 'data-version': p.version })), 'dash.none');
  const alerts = $('alerts');
  alerts.replaceChildren(...(status.alerts || []).map((a) =>
    el('li', t('alert.' + a.kind) + ' — ' + a.feature + (a.version ? ' ' + a.version : '') +
      (a.detail ? ': ' + a.detail : ''), { 'data-kind': a.kind })));
  if (alerts.children.length === 0) alerts.append(el('li', t('alerts.none')));
}

// ---- historical use

function options(select, values, all) {
  const keep = select.value;
  select.replaceChildren(el('option', all, { value: '' }),
    ...values.map(([v, text]) => el('option', text, { value: v })));
  if (values.some(([v]) => v === keep)) select.value = keep;
}

function historyQuery() {
  const q = {};
  for (const [k, id] of [['feature', 'h-feature'], ['version', 'h-version'], ['from', 'h-from'], ['to', 'h-to']]) {
    if ($(id).value) q[k] = $(id).value;
  }
  return q;
}

async function loadHistory() {
  const [status, settings] = await Promise.all([get('/api/v1/status?parts=pools'), get('/api/v1/settings')]);
  const pools = status.pools;
  const uniq = (xs) => [...new Set(xs)].sort();
  options($('h-feature'), uniq(pools.map((p) => p.feature)).map((f) =>
    [f, productName(pools.find((p) => p.feature === f))]), t('all'));
  options($('h-model'), uniq(pools.map((p) => p.model).filter(Boolean)).map((m) => [m, modelName(m)]), t('all'));
  options($('h-version'), uniq(pools.map((p) => p.version)).map((v) => [v, v]), t('all'));
  const retention = settings.settings.find((s) => s.name === 'history_retention');
  if (retention) $('retention').value = retention.value;
  await drawHistory(pools);
}

async function drawHistory(pools) {
  const q = historyQuery();
  const model = $('h-model').value;
  const answer = await call(Object.assign({ type: 'history' }, q));
  const models = new Map((pools || state.status?.pools || []).map((p) => [p.feature, p.model]));
  const days = answer.days.filter((d) => !model || models.get(d.feature) === model);
  const params = new URLSearchParams(q);
  $('h-export').href = '/api/v1/history.csv' + (params.toString() ? '?' + params : '');
  fill('h-days', days.map((d) => row([['date', d.date], ['product', productName(d)], ['css', d.version],
    ['peak', d.peak], ['installed', d.installed], ['overdraft_peak', d.overdraft_peak],
    ['denials', d.denials]])), 'hist.none');
  chart(days);
}

// The daily peaks (summed over the pools shown) against installed and
// the overdraft, as an SVG line chart.
function chart(days) {
  const byDate = new Map();
  for (const d of days) {
    const s = byDate.get(d.date) || { peak: 0, installed: 0, overdraft: 0 };
    s.peak += d.peak; s.installed += d.installed; s.overdraft += d.overdraft_peak;
    byDate.set(d.date, s);
  }
  const dates = [...byDate.keys()].sort();
  const figure = $('h-chart');
  for (const old of figure.querySelectorAll('svg')) old.remove();
  const NS = 'http://www.w3.org/2000/svg';
  const [w, h, pad] = [600, 220, 30];
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('hist.chart'));
  const max = Math.max(1, ...dates.map((d) => Math.max(byDate.get(d).peak, byDate.get(d).installed)));
  const x = (i) => pad + (dates.length < 2 ? 0 : (i * (w - 2 * pad)) / (dates.length - 1));
  const y = (v) => h - pad - (v * (h - 2 * pad)) / max;
  const axis = document.createElementNS(NS, 'path');
  axis.setAttribute('d', `M${pad} ${pad}V${h - pad}H${w - pad}`);
  axis.setAttribute('class', 'axis');
  svg.append(axis);
  for (const [series, cls] of [['installed', 'installed'], ['overdraft', 'overdraft'], ['peak', 'peak']]) {
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', dates.map((d, i) => x(i) + ',' + y(byDate.get(d)[series])).join(' '));
    line.setAttribute('class', 'line ' + cls);
    const title = document.createElementNS(NS, 'title');
    title.textContent = t('hist.series.' + series);
    line.append(title);
    svg.append(line);
  }
  const top = document.createElementNS(NS, 'text');
  top.setAttribute('x', 2); top.setAttribute('y', pad);
  top.textContent = String(max);
  svg.append(top);
  for (const [i, key] of [['peak', 'hist.series.peak'], ['installed', 'hist.series.installed'], ['overdraft', 'hist.series.overdraft']].entries()) {
    const label = document.createElementNS(NS, 'text');
    label.setAttribute('x', pad + i * 170); label.setAttribute('y', h - 6);
    label.setAttribute('class', 'legend ' + key[0]);
    label.textContent = '■ ' + t(key[1]);
    svg.append(label);
  }
  figure.prepend(svg);
}

// ---- licenses

async function loadUpdate() {
  let rows;
  try {
    const answer = await get('/api/v1/licenses?days=30');
    rows = answer.files.map((f) => row([['file', f.name],
      ['installed', new Date(f.modified * 1000).toLocaleString(state.lang)],
      ['read', f.read ? t('yes') : (f.reason || t('no'))]], { 'data-file': f.name }));
  } catch (e) {
    if (e.status !== 404) throw e;
    // A server that does not list its files with their dates: the files read.
    const info = await get('/api/v1/info');
    rows = info.license_files.map((f) => row([['file', f], ['installed', '—'], ['read', t('yes')]]));
  }
  fill('files', rows, 'update.none');
}

// Uploads the chosen file; the server checks, installs and rereads it,
// and its lines are shown with whether each serves.
async function install(event) {
  event.preventDefault();
  const file = $('license-file').files[0];
  if (!file) return;
  const text = await file.text();
  let path = '/api/v1/licenses?name=' + encodeURIComponent(file.name);
  if ($('license-replace').checked) path += '&replace=true';
  fill('installed', [], 'none');
  await change(async () => {
    const answer = await post(path, text, 'text/plain');
    fill('installed', (answer.lines || []).map((l) => row([['line', l.line], ['product', productName(l)],
      ['css', l.version], ['expiration', l.expiry], ['count', l.count],
      ['serving', l.serving ? t('yes') : (l.reason || t('no'))]], { 'data-feature': l.feature })));
  });
}

// ---- users and devices

async function find(event) {
  if (event) event.preventDefault();
  const wanted = $('find').value.trim().toLowerCase();
  const status = await get('/api/v1/status?parts=assignments,connections');
  const hit = (s) => s.toLowerCase().includes(wanted);
  const rows = [];
  for (const a of status.assignments.filter((a) => hit(a.name))) {
    const button = el('button', t('users.release'), { type: 'button', class: 'change' });
    button.disabled = !isAdmin();
    button.addEventListener('click', () => release(a));
    rows.push(row([['kind', t('users.' + a.type)], ['name', a.name], ['product', productName(a)],
      ['css', a.version], ['last_use', new Date(a.last_use * 1000).toLocaleString(state.lang)], button],
    { 'data-name': a.name }));
  }
  for (const c of status.connections.filter((c) => hit(c.user) || hit(c.device))) {
    rows.push(row([['kind', t('users.connection')], ['name', c.user + ' @ ' + c.device], ['product', productName(c)],
      ['css', c.version], ['last_use', new Date(c.last_use * 1000).toLocaleString(state.lang)], '']));
  }
  fill('found', rows, 'users.none');
  notice(t('users.found', { n: rows.length }));
}

// Asks before a release: it cannot be undone.
function confirmed(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
  });
}

async function release(a) {
  if (!(await confirmed(t('users.confirm', { name: a.name, feature: a.feature })))) return;
  const request = { type: 'release', feature: a.feature, user: null, device: null };
  request[a.type] = a.name;
  await change(() => call(request), find);
}

// ---- settings

async function loadSettings() {
  const [accounts, settings, info] = await Promise.all([
    get('/api/v1/accounts'), get('/api/v1/settings'), get('/api/v1/info')]);
  state.settings = settings.settings;
  fill('accounts', accounts.accounts.map((a) => {
    const remove = el('button', t('settings.remove'), { type: 'button', class: 'change' });
    remove.disabled = !isAdmin() || a.built_in;
    remove.addEventListener('click', async () => {
      if (await confirmed(t('settings.confirm_remove', { name: a.name }))) {
        await change(() => call({ type: 'remove_account', name: a.name }), loadSettings);
      }
    });
    return row([['name', a.name], ['role', a.role], remove], { 'data-name': a.name });
  }));
  const ports = $('ports');
  ports.replaceChildren();
  for (const [key, value] of [['settings.lm_port', info.lm_port], ['settings.vendor_port', info.vendor_port],
    ['settings.https_port', location.port || '443']]) {
    ports.append(el('dt', t(key)), el('dd', value));
  }
  const fields = $('settings-fields');
  fields.replaceChildren();
  for (const [name, choices] of EDITED.concat([['history_retention', null]])) {
    const s = state.settings.find((x) => x.name === name);
    if (!s) continue;
    if (name === 'history_retention') fields.append(el('h3', t('settings.usage')));
    const id = 'set-' + name;
    const input = choices ? el('select', null, { id, name })
      : el('input', null, { id, name, size: 24 });
    if (choices) input.append(...choices.map((c) => el('option', c, { value: c })));
    input.value = s.value;
    const label = el('label', null, { for: id });
    label.append(el('span', t('setting.' + name)));
    const p = el('p', null, { class: 'field' });
    p.append(label, input);
    fields.append(p);
  }
  syncControls();
}

// The settings whose field differs from the server's value.
function changedSettings() {
  const changed = {};
  for (const s of state.settings) {
    const input = $('set-' + s.name);
    if (input && input.value !== s.value) changed[s.name] = input.value;
  }
  return changed;
}

async function saveSettings(event) {
  event.preventDefault();
  const changed = changedSettings();
  if (Object.keys(changed).length === 0) return notice(t('settings.unchanged'));
  await change(() => call({ type: 'set_settings', settings: changed }), loadSettings);
}

async function saveRetention(event) {
  event.preventDefault();
  const value = $('retention').value.trim();
  await change(() => call({ type: 'set_settings', settings: { history_retention: value } }));
}

async function saveAccount(event) {
  event.preventDefault();
  const request = { type: 'set_account', name: $('acc-name').value.trim(), role: $('acc-role').value };
  await change(() => call(request), loadSettings);
}

// ---- events

async function loadEvents(event) {
  if (event) event.preventDefault();
  const query = { type: 'events', after: 0, limit: 500 };
  if ($('audit-only').checked) query.kinds = AUDIT_KINDS;
  let events = [];
  // The newest 200, paging from the oldest kept.
  for (let pages = 0; pages < 50; pages++) {
    const page = await call(query);
    events = events.concat(page.events).slice(-200);
    if (page.next === null || page.next === undefined) break;
    query.after = page.next;
  }
  fill('event-list', events.reverse().map((e) => {
    const { seq, at, event: kind, by, ...rest } = e;
    return row([['at', new Date(at * 1000).toLocaleString(state.lang)], ['event', t('event.' + kind)],
      ['by', by || '—'], ['detail', JSON.stringify(rest)]], { 'data-event': kind, 'data-seq': seq });
  }), 'events.none');
}

// ---- start

// A user-role session sees everything; its change controls are disabled
// (and the server refuses them anyway).
function syncControls() {
  if (isAdmin()) return;
  for (const c of document.querySelectorAll('.change')) c.disabled = true;
}

async function start() {
  state.english = await catalogue('en');
  let lang = sessionStorage.getItem('lmutil.language');
  let session = null;
  try { session = await get('/api/v1/session'); } catch (e) { session = null; }
  if (session) {
    state.session = session;
    if (!lang) {
      const settings = await get('/api/v1/settings').catch(() => null);
      const s = settings && settings.settings.find((x) => x.name === 'console_language');
      lang = s ? s.value : 'en';
    }
  }
  await setLanguage(lang || 'en');
  if (!session) {
    document.body.dataset.loaded = 'login';
    return;
  }
  state.names = (await get('/api/v1/info')).product_names || [];
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  $('account').textContent = t('account', { name: session.account, role: session.role });
  syncControls();
  window.addEventListener('hashchange', show);
  await show();
}

function wire() {
  $('language').addEventListener('change', async () => {
    // Loaded again once every text is in the new language.
    delete document.body.dataset.loaded;
    sessionStorage.setItem('lmutil.language', $('language').value);
    await setLanguage($('language').value);
    if (state.session) {
      $('account').textContent = t('account', { name: state.session.account, role: state.session.role });
      await show();
    } else {
      document.body.dataset.loaded = 'login';
    }
  });
  $('logout').addEventListener('click', async () => {
    await post('/logout', '').catch(() => null);
    location.replace('/');
  });
  $('history-form').addEventListener('submit', (e) => { e.preventDefault(); drawHistory().catch((x) => notice(x.message, true)); });
  $('retention-form').addEventListener('submit', saveRetention);
  $('install-form').addEventListener('submit', install);
  $('reread').addEventListener('click', () => change(() => call({ type: 'reread', vendor: false }), loadUpdate));
  $('find-form').addEventListener('submit', (e) => find(e).catch((x) => notice(x.message, true)));
  $('settings-form').addEventListener('submit', saveSettings);
  $('account-form').addEventListener('submit', saveAccount);
  $('events-form').addEventListener('submit', (e) => loadEvents(e).catch((x) => notice(x.message, true)));
}

document.addEventListener('DOMContentLoaded', () => {
  wire();
  start().catch((e) => notice(e.message, true));
});
