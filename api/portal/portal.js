// The reference portal (docs/portal.md): what a student, an interim worker, an employer and an
// auditor see, each page a view of the REST API under /v1 called with the bearer token the page
// was given. Nothing here decides anything: every figure shown is the API's, formatted. Elements
// are built with the DOM (textContent, never HTML from data), so no answer can inject markup.
'use strict';

(() => {
  const LANGUAGES = ['fr', 'nl', 'en'];
  const TOKEN_KEY = 'dimona-portal-token';
  const LANGUAGE_KEY = 'dimona-portal-language';
  const PAGE_SIZE = 500;             // the API's largest page (http_limits::page_size_max)
  const HISTORY_EVENTS_MAX = 2000;   // a citizen's history shown at most (pages of PAGE_SIZE)
  const SLIDER_SETTLE_MS = 600;      // a slide asks the ledger (a recorded read) once it rests this long
  // The employers' colours in the calendar: dark text on each is at least 7:1.
  const COLOURS = ['#9fd3ee', '#ffc94a', '#a8d48a', '#f7b2b7', '#d5c2e6', '#ffe08a', '#b7cff5', '#c9eba0'];
  const WORKER_TYPES = ['A17', 'ALT', 'BCW', 'DWD', 'EXT', 'FLX', 'IVT', 'O17', 'PMP', 'QUA', 'RTA', 'S17', 'STG', 'STU',
                        'STX', 'T17', 'TEA', 'TRI', 'OTH'];  // engine/declaration.cc
  const SSIN = /^\d{11}$/;
  const ENTERPRISE = /^\d{10}$/;

  // `session`: what one signed-in person typed or chose; forgotten at sign-out, so the next person
  // starts from nothing (no search of theirs is replayed, nothing of theirs pre-filled).
  const state = { token: null, claims: null, language: 'en', render: null, session: {} };

  // --- Words ---------------------------------------------------------------------------------
  function t(key, values = {}) {
    const texts = window.PORTAL_TEXTS;
    const text = (texts[state.language] && texts[state.language][key]) || texts.en[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
  }
  // A code of the API (GRANTED, STUDENT_BALANCE, …) in words, or the code itself when it has none.
  function term(code) {
    if (!code) return '';
    const texts = window.PORTAL_TEXTS;
    const key = `term.${code}`;
    return (texts[state.language] && texts[state.language][key]) || texts.en[key] || code;
  }
  const numberFormat = () => new Intl.NumberFormat(state.language);
  const hours = (n) => (n === null || n === undefined ? '—' : t('hoursUnit', { n: numberFormat().format(n) }));
  const euros = (n) => new Intl.NumberFormat(state.language, { style: 'currency', currency: 'EUR' }).format(n);
  function day(iso) {  // "2025-03-01" as a date in the page's language
    const [y, m, d] = iso.split('-').map(Number);
    return new Intl.DateTimeFormat(state.language, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
  }
  function instant(iso) {
    if (!iso) return '';
    return new Intl.DateTimeFormat(state.language, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Europe/Brussels' })
      .format(new Date(iso));
  }
  function chooseLanguage() {
    const saved = localStorage.getItem(LANGUAGE_KEY);
    if (LANGUAGES.includes(saved)) return saved;
    for (const wanted of navigator.languages || [navigator.language || 'en']) {
      const base = String(wanted).toLowerCase().split('-')[0];
      if (LANGUAGES.includes(base)) return base;
    }
    return 'en';
  }
  function applyLanguage() {
    document.documentElement.lang = state.language;
    document.getElementById('language').value = state.language;
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    document.title = t('title');
    showWho();
    if (state.render) state.render();
  }

  // --- Elements ------------------------------------------------------------------------------
  // h('td', {class: 'num', dataset: {value: 3}}, 'text', child): attributes, then children
  // (null, undefined and false left out).
  function h(tag, attributes = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'dataset') Object.assign(el.dataset, value);
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    return fill(el, ...children);
  }
  // el's children become `children`, those that are null, undefined or false left out (the DOM
  // would write them as text).
  function fill(el, ...children) {
    el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
    return el;
  }
  function table(caption, headers, rows, numeric = []) {
    return h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
      h('tbody', {}, rows));
  }
  // "the first N of M": a list the API pages, shown one page long.
  const shownOf = (answer) => (answer.total > answer.items.length ? h('p', { class: 'note' }, t('firstOf', { shown: answer.items.length, total: answer.total })) : null);
  function field(id, label, control) {
    control.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, label), control);
  }
  function select(name, options, value) {
    const el = h('select', { name });
    for (const [v, text] of options) el.append(h('option', { value: v, selected: v === value }, text));
    return el;
  }
  function say(text) { document.getElementById('status').textContent = text; }
  function alertText(text) {
    const el = document.getElementById('alert');
    el.textContent = text || '';
    el.hidden = !text;
  }

  // --- The API -------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }
  // A JSON answer, or a Blob when `accept` is not JSON; an ApiError with the problem otherwise.
  async function api(path, { method = 'GET', body, accept = 'application/json' } = {}) {
    const headers = { Authorization: `Bearer ${state.token}`, Accept: accept, 'Accept-Language': state.language };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (_) { /* not JSON: the status says it */ }
      throw new ApiError(response.status, problem);
    }
    return accept === 'application/json' ? response.json() : response.blob();
  }
  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  };
  function problemText(error) {
    if (!(error instanceof ApiError)) return t('error', { title: String(error.message || error) });
    const p = error.problem || {};
    const issues = (p.issues || []).map((i) => `${i.name || i.in}: ${i.detail}`).join('; ');
    return t('error', { title: [p.title || `HTTP ${error.status}`, p.detail, issues].filter(Boolean).join(' — ') });
  }
  // Runs `work`, showing "loading" and then its refusal, if any, in the alert region. A 401 (a
  // token the server does not trust, or expired) signs out: the pages never stay up on it.
  async function guarded(work) {
    alertText('');
    say(t('loading'));
    try {
      await work();
      say('');
    } catch (error) {
      say('');
      if (error instanceof ApiError && error.status === 401) signOut();
      alertText(problemText(error));
    }
  }
  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // --- Tokens --------------------------------------------------------------------------------
  // The claims of a compact JWT, read to choose the pages (the server verifies the token on every
  // call); null unless they name a role this portal has pages for, with the id that role needs.
  function claimsOf(token) {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
      const c = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (ch) => ch.charCodeAt(0))));
      if (typeof c !== 'object' || !c) return null;
      if (c.role === 'citizen') return SSIN.test(c.ssin) ? c : null;
      if (c.role === 'employer' || c.role === 'agency') return ENTERPRISE.test(c.enterpriseNumber) ? c : null;
      return c.role === 'auditor' || c.role === 'declarant' ? c : null;
    } catch (_) {
      return null;
    }
  }
  function useToken(token) {
    const claims = claimsOf(token.trim());
    if (!claims) return alertText(t('badToken'));
    state.token = token.trim();
    state.claims = claims;
    state.session = {};
    sessionStorage.setItem(TOKEN_KEY, state.token);
    alertText('');
    showViews();
  }
  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    Object.assign(state, { token: null, claims: null, render: null, session: {} });
    history.replaceState(null, '', location.pathname);
    fill(document.getElementById('view'));
    document.getElementById('view').hidden = true;
    document.getElementById('sign-in').hidden = false;
    document.getElementById('dev-form').reset();
    document.getElementById('token-form').reset();
    showDevFields();
    showWho();
    document.getElementById('sign-in-title').focus();
  }
  function showWho() {
    const who = document.getElementById('who');
    const out = document.getElementById('sign-out');
    if (!state.claims) {
      who.textContent = '';
      out.hidden = true;
      return;
    }
    const c = state.claims;
    const roleText = { citizen: t('roleCitizen'), employer: t('roleEmployer'), agency: t('roleAgency'), auditor: t('roleAuditor') }[c.role] || c.role;
    who.textContent = t('signedInAs', { role: [roleText, c.ssin, c.enterpriseNumber].filter(Boolean).join(' ') });
    out.hidden = false;
  }

  // --- Tabs ----------------------------------------------------------------------------------
  // A tab list (WAI-ARIA tabs: arrows, Home and End move, one tab stop) over panels drawn on demand.
  function tabs(entries, focus) {
    const view = document.getElementById('view');
    const list = h('div', { role: 'tablist', 'aria-label': t('pages') });
    const panel = h('div', { role: 'tabpanel', id: 'panel', tabindex: '0' });
    const last = entries.length - 1;
    const buttons = entries.map(([key], i) => h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': 'panel',
      onclick: () => choose(i),
      onkeydown: (e) => {
        const next = { ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1, Home: 0, End: last }[e.key];
        if (next === undefined) return;
        e.preventDefault();
        choose(next);
        buttons[next].focus();
      },
    }, t(key)));
    function choose(i) {
      state.session.tab = entries[i][0];
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(j === i));
        b.tabIndex = j === i ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', buttons[i].id);
      fill(panel);
      alertText('');
      entries[i][1](panel);
    }
    fill(list, buttons);
    fill(view, list, panel);
    const wanted = entries.findIndex(([key]) => key === state.session.tab);
    choose(wanted >= 0 ? wanted : 0);
    if (focus) buttons[Math.max(wanted, 0)].focus();
  }

  function showViews() {
    document.getElementById('sign-in').hidden = true;
    const view = document.getElementById('view');
    view.hidden = false;
    showWho();
    const role = state.claims.role;
    state.render = (focus) => {
      if (role === 'citizen') return tabs([
        ['tabBalance', balanceView], ['tabCalendar', calendarView], ['tabInterim', interimView],
        ['tabAttestations', attestationsView], ['tabInbox', inboxView], ['tabWages', wagesView], ['tabConsents', consentsView],
        ['tabMyCareerBreaks', myCareerBreaksView], ['tabConsultations', consultationsView]], focus);
      if (role === 'employer' || role === 'agency') return tabs([
        ['tabAccessCode', accessCodeView], ['tabRequests', requestsView], ['tabCareerBreaks', careerBreaksView]], focus);
      if (role === 'auditor') return tabs([['tabHistory', historyView], ['tabCareerBreaks', careerBreaksView]], focus);
      return fill(view, h('p', {}, t('declarantNoPortal')));
    };
    // A consent link (/consent?token=…, the QR code of a data-access request) opens the consents.
    if (role === 'citizen' && state.pendingConsent) {
      state.session.tab = 'tabConsents';
      state.session.consentToken = state.pendingConsent;
      state.pendingConsent = null;
    }
    state.render(true);
  }

  const citizenPath = (rest) => `/v1/citizens/${state.claims.ssin}/${rest}`;
  const thisYear = () => new Date().getUTCFullYear();

  // --- Student: balances ----------------------------------------------------------------------
  function balanceCard(b) {
    const periods = b.periods || [];
    const formula = b.exceeding ? t('formulaExceeding', { quota: b.quota, used: b.used, exceeding: b.exceeding })
                                : t('formula', { quota: b.quota, used: b.used, remaining: b.remaining });
    return h('article', { class: 'card', 'aria-labelledby': `year-${b.year}`, dataset: { year: b.year } },
      h('h3', { id: `year-${b.year}` }, `${t('year')} ${b.year}`),
      h('dl', { class: 'figures' },
        h('dt', {}, t('quota')), h('dd', { dataset: { figure: 'quota', value: b.quota } }, hours(b.quota)),
        h('dt', {}, t('used')), h('dd', { dataset: { figure: 'used', value: b.used } }, hours(b.used)),
        h('dt', {}, t('remaining')), h('dd', { class: 'big', dataset: { figure: 'remaining', value: b.remaining } }, hours(b.remaining)),
        b.exceeding ? [h('dt', {}, t('exceeding')), h('dd', { dataset: { figure: 'exceeding', value: b.exceeding } }, hours(b.exceeding))] : null),
      (b.employers || []).length ? table(t('perEmployer'), [t('employer'), t('planned'), t('worked'), t('stillToWork')],
        b.employers.map((e) => h('tr', { dataset: { employer: e.employer } },
          h('td', {}, e.employerName ? `${e.employerName} (${e.employer})` : e.employer),
          h('td', { class: 'num', dataset: { figure: 'planned', value: e.planned } }, hours(e.planned)),
          h('td', { class: 'num' }, hours(e.worked)),
          h('td', { class: 'num' }, hours(e.stillToWork)))), [1, 2, 3]) : h('p', {}, t('noPeriods')),
      periods.length ? h('details', {},
        h('summary', {}, t('howComputed')),
        h('p', { class: 'formula' }, formula),
        table(t('period'), [t('period'), t('employer'), t('from'), t('to'), t('planned'), t('worked'), t('rule')],
          periods.map((p) => h('tr', {},
            h('td', {}, p.periodId, p.cancelled ? ` (${t('cancelled')})` : '', p.late ? ` (${t('late')})` : ''),
            h('td', {}, p.employerName || p.employer),
            h('td', {}, day(p.startDate)), h('td', {}, p.endDate ? day(p.endDate) : ''),
            h('td', { class: 'num' }, hours(p.planned)), h('td', { class: 'num' }, hours(p.worked)),
            h('td', {}, p.rule))), [4, 5])) : null);
  }
  function balanceView(panel) {
    const cards = h('div', { class: 'cards', id: 'balances' });
    fill(panel, h('h2', {}, t('balanceTitle')), cards);
    guarded(async () => {
      const answer = await api(citizenPath('studentBalance'));  // the previous, current and next year
      fill(cards, answer.items.map(balanceCard));
    });
  }

  // --- Student: calendar ----------------------------------------------------------------------
  function calendarView(panel) {
    const year = h('select', { id: 'calendar-year' });
    const chosen = state.session.calendarYear || thisYear() - 1;
    for (const y of [thisYear() - 1, thisYear(), thisYear() + 1]) year.append(h('option', { value: y, selected: y === chosen }, y));
    const out = h('div', { id: 'calendar' });
    year.addEventListener('change', () => { state.session.calendarYear = Number(year.value); draw(); });
    // Seed 001: the days shown may not be the days agreed; only the planned hours count.
    fill(panel, h('h2', {}, t('calendarTitle')), h('p', { class: 'note', id: 'calendar-notice' }, t('calendarNotice')),
      h('div', { class: 'field' }, h('label', { for: 'calendar-year' }, t('year')), year), out);
    function draw() {
      guarded(async () => {
        const answer = await api(citizenPath('calendar') + query({ year: year.value }));
        fill(out, calendarOf(Number(year.value), (answer.items[0] || {}).employers || []));
      });
    }
    draw();
  }
  // The background of a day worked for these employers (indices): its colour, or stripes of each.
  function paint(el, who) {
    if (who.length === 1) el.style.backgroundColor = COLOURS[who[0] % COLOURS.length];
    if (who.length > 1) {
      const stops = who.map((i, k) => `${COLOURS[i % COLOURS.length]} ${k * 5}px ${(k + 1) * 5}px`).join(', ');
      el.style.backgroundImage = `repeating-linear-gradient(45deg, ${stops})`;
    }
  }
  // Twelve month grids; a declared day coloured by its employer (two or more: striped with each),
  // its employers' names on hover (title) and in hidden text for screen readers. The declared days
  // are one tab stop: the arrow keys move between them.
  function calendarOf(year, employers) {
    const byDay = new Map();
    employers.forEach((e, i) => {
      for (const [first, last] of e.days) {
        for (let d = new Date(`${first}T00:00:00Z`); d <= new Date(`${last}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
          const key = d.toISOString().slice(0, 10);
          if (!byDay.has(key)) byDay.set(key, []);
          if (!byDay.get(key).includes(i)) byDay.get(key).push(i);
        }
      }
    });
    const nameOf = (e) => (e.employerName ? `${e.employerName} (${e.employer})` : e.employer);
    const legend = h('ul', { class: 'legend', 'aria-label': t('calendarLegend') }, employers.map((e, i) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      paint(swatch, [i]);
      return h('li', {}, swatch, nameOf(e));
    }));
    const weekday = new Intl.DateTimeFormat(state.language, { weekday: 'narrow', timeZone: 'UTC' });
    const monthName = new Intl.DateTimeFormat(state.language, { month: 'long', timeZone: 'UTC' });
    const months = h('div', { class: 'months' });
    const declared = [];
    for (let m = 0; m < 12; ++m) {
      const first = new Date(Date.UTC(year, m, 1));
      const offset = (first.getUTCDay() + 6) % 7;  // weeks start on Monday
      const length = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
      const rows = [];
      let cells = [];
      for (let i = 0; i < offset; ++i) cells.push(h('td', {}));
      for (let d = 1; d <= length; ++d) {
        const key = `${year}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
        const who = byDay.get(key) || [];
        const names = who.map((i) => nameOf(employers[i])).join(', ');
        const cell = h('span', {
          class: 'day', title: who.length ? names : null, tabindex: who.length ? '-1' : null,
          dataset: who.length ? { date: key, employers: who.map((i) => employers[i].employer).join(' ') } : {},
        }, d, who.length ? h('span', { class: 'sr' }, `, ${t('dayWith', { date: day(key), employers: names })}`) : null);
        paint(cell, who);
        if (who.length) declared.push(cell);
        cells.push(h('td', {}, cell));
        if (cells.length === 7) { rows.push(h('tr', {}, cells)); cells = []; }
      }
      if (cells.length) rows.push(h('tr', {}, cells));
      const head = [0, 1, 2, 3, 4, 5, 6].map((i) => h('th', { scope: 'col' }, weekday.format(Date.UTC(2024, 0, 1 + i))));
      months.append(h('div', { class: 'month' }, h('table', {}, h('caption', {}, monthName.format(first)), h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows))));
    }
    if (declared.length) declared[0].tabIndex = 0;
    declared.forEach((cell, i) => cell.addEventListener('keydown', (e) => {
      const next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: declared.length - 1 }[e.key];
      if (next === undefined || next < 0 || next >= declared.length) return;
      e.preventDefault();
      cell.tabIndex = -1;
      declared[next].tabIndex = 0;
      declared[next].focus();
    }));
    return h('div', {}, employers.length ? legend : h('p', {}, t('noDays')), months);
  }

  // --- Interim worker -------------------------------------------------------------------------
  function interimView(panel) {
    const f = state.session.interimFilters || { from: `${thisYear() - 1}-01-01`, to: `${thisYear() + 1}-12-31`, workerType: '', agency: '', userCompany: '' };
    const controls = {
      from: h('input', { type: 'date', value: f.from }), to: h('input', { type: 'date', value: f.to }),
      workerType: select('workerType', [['', t('anyValue')], ...WORKER_TYPES.map((w) => [w, w])], f.workerType),
      agency: h('input', { value: f.agency, inputmode: 'numeric', maxlength: '10' }),
      userCompany: h('input', { value: f.userCompany, maxlength: '120' }),
    };
    const out = h('div', { id: 'interim' });
    const filters = () => Object.fromEntries(Object.entries(controls).map(([k, el]) => [k, el.value.trim()]));
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); state.session.interimFilters = filters(); draw(); } },
      field('interim-from', t('from'), controls.from), field('interim-to', t('to'), controls.to),
      field('interim-type', t('workerType'), controls.workerType), field('interim-agency', t('agency'), controls.agency),
      field('interim-user', t('userCompany'), controls.userCompany),
      h('button', { type: 'submit' }, t('filter')),
      h('button', { type: 'button', class: 'secondary', id: 'interim-pdf', onclick: () => guarded(async () => {
        download(await api(citizenPath('interimRelations') + query({ ...filters(), format: 'pdf' }), { accept: 'application/pdf' }), 'interim-relations.pdf');
      }) }, t('interimPdf')));
    // Seed 002: the overview "envoyé par e-mail ... ou expédié vers votre eBox", with these filters.
    const channel = select('channel', [['EBOX', t('channelEbox')], ['EMAIL', t('channelEmail')]], 'EBOX');
    const email = h('input', { type: 'email', autocomplete: 'email', maxlength: '254', required: false });
    const emailField = field('overview-email', t('email'), email);
    const sent = h('p', { role: 'status', id: 'overview-sent' });
    const showEmail = () => {
      emailField.hidden = channel.value !== 'EMAIL';
      email.required = channel.value === 'EMAIL';
    };
    channel.addEventListener('change', showEmail);
    showEmail();
    const send = h('form', { class: 'row', id: 'overview-send', onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const body = { channel: channel.value, ...(state.session.interimFilters || f) };  // the filters shown
        if (channel.value === 'EMAIL') body.email = email.value.trim();
        for (const k of Object.keys(body)) if (body[k] === '') delete body[k];
        const a = await api('/v1/actions', { method: 'POST', body: { worker: { ssin: state.claims.ssin }, interimOverviewSend: body } });
        if (saidIfRefused(a, sent)) fill(sent, t(channel.value === 'EMAIL' ? 'overviewMailed' : 'overviewSent', { email: body.email }));
      });
    } }, field('overview-channel', t('sendTo'), channel), emailField, h('button', { type: 'submit', id: 'overview-submit' }, t('sendOverview')));
    fill(panel, h('h2', {}, t('interimTitle')), form, out, h('h3', {}, t('sendOverviewTitle')), send, sent);
    function draw() {
      guarded(async () => {
        const answer = await api(citizenPath('interimRelations') + query({ ...filters(), pageSize: PAGE_SIZE }));
        fill(out, shownOf(answer), answer.items.length ? table(t('interimTitle'),
          [t('agency'), t('userCompany'), t('firstDay'), t('lastDay'), t('days'), t('workerType')],
          answer.items.map((r) => h('tr', { dataset: { relation: `${r.agency}|${r.userCompany}|${r.firstDay}` } },
            h('td', {}, r.agencyName ? `${r.agencyName} (${r.agency})` : r.agency),
            h('td', {}, r.userCompanyName ? `${r.userCompanyName}${ENTERPRISE.test(r.userCompany) ? ` (${r.userCompany})` : ''}` : r.userCompany),
            h('td', {}, day(r.firstDay)), h('td', {}, day(r.lastDay)),
            h('td', { class: 'num', dataset: { figure: 'days', value: r.days } }, numberFormat().format(r.days)),
            h('td', {}, [...new Set(r.periods.map((p) => p.workerType))].join(', ')))), [4]) : h('p', {}, t('noRelations')));
      });
    }
    draw();
  }

  // --- Student: attestations ------------------------------------------------------------------
  function attestationsView(panel) {
    const list = h('div', { id: 'attestations' });
    // The current year, or the next one (the server takes it from 1 December; before, it says no).
    const year = select('year', [thisYear(), thisYear() + 1].map((y) => [String(y), String(y)]), String(thisYear()));
    const form = h('form', { class: 'row', onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const pdf = await api(citizenPath('attestations') + query({ year: year.value }), { method: 'POST', accept: 'application/pdf' });
        download(pdf, `attestation-${year.value}.pdf`);
        await draw();
      });
    } }, field('attestation-year', t('year'), year), h('button', { type: 'submit', id: 'attestation-pdf' }, t('attestationPdf')));
    fill(panel, h('h2', {}, t('attestationsTitle')), form, list);
    async function draw() {
      const answer = await api(citizenPath('attestations') + query({ pageSize: PAGE_SIZE }));
      fill(list, shownOf(answer), answer.items.length ? table(t('attestationsTitle'),
        [t('year'), t('remaining'), t('accessCode'), t('validFrom'), t('validUntil'), t('issuedAt')],
        answer.items.map((a) => h('tr', {},
          h('td', {}, a.year), h('td', { class: 'num' }, hours(a.remainingHours)), h('td', { class: 'hash' }, a.accessCode),
          h('td', {}, day(a.validFrom)), h('td', {}, day(a.validUntil)), h('td', {}, instant(a.issuedAt)))), [1])
        : h('p', {}, t('noAttestations')));
    }
    guarded(draw);
  }

  // --- Student: gross wages of the last four quarters (or of a year) ----------------------------
  function wagesView(panel) {
    const out = h('div', { id: 'wages' });
    fill(panel, h('h2', {}, t('wagesTitle')), out);
    guarded(async () => {
      const answer = await api(citizenPath('wages'));
      fill(out, table(t('wagesTitle'), [t('quarter'), t('employer'), t('grossWage')], answer.quarters.flatMap((q) => [
        h('tr', { class: 'total', dataset: { quarter: q.quarter } }, h('th', { scope: 'row' }, q.quarter), h('td', {}),
          h('td', { class: 'num', dataset: { figure: 'grossWage', value: q.grossWage } }, euros(q.grossWage))),
        ...q.employers.map((e) => h('tr', {}, h('td', {}), h('td', {}, e.employerName ? `${e.employerName} (${e.employer})` : e.employer),
          h('td', { class: 'num' }, euros(e.grossWage))))]), [2]));
    });
  }

  // --- Citizen: consents (seed 003): answer a request's token, revoke a grant -----------------
  function consentsView(panel) {
    const list = h('div', { id: 'consents' });
    const token = h('input', { value: state.session.consentToken || '', autocomplete: 'off', spellcheck: 'false', maxlength: '20' });
    const answered = h('p', { role: 'status', id: 'consent-answer' });
    const answer = (kind) => guarded(async () => {
      const a = await api('/v1/actions', { method: 'POST', body: { worker: { ssin: state.claims.ssin }, [kind]: { token: token.value.trim().toUpperCase() } } });
      if (saidIfRefused(a, answered)) answered.textContent = t(kind === 'dataAccessGrant' ? 'consentGiven' : 'consentRefused');
      state.session.consentToken = '';
      token.value = '';
      await draw();
    });
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); answer('dataAccessGrant'); } },
      field('consent-token', t('consentToken'), token),
      h('button', { type: 'submit', id: 'consent-grant' }, t('grant')),
      h('button', { type: 'button', class: 'secondary', id: 'consent-refuse', onclick: () => answer('dataAccessRefusal') }, t('refuse')));
    fill(panel, h('h2', {}, t('consentsTitle')), h('p', { class: 'note' }, t('consentsHelp')), form, answered, list);
    async function draw() {
      const a = await api(citizenPath('consents') + query({ pageSize: PAGE_SIZE }));
      fill(list, shownOf(a), a.items.length ? table(t('consentsTitle'), [t('employer'), t('scope'), t('status'), t('grantedAt'), t('expiresAt'), ''],
        a.items.map((c) => h('tr', { dataset: { request: c.requestId, status: c.status } },
          h('td', {}, c.employerName ? `${c.employerName} (${c.employer})` : c.employer), h('td', {}, term(c.scope)), h('td', {}, term(c.status)),
          h('td', {}, instant(c.grantedAt)), h('td', {}, instant(c.expiresAt)),
          h('td', {}, c.status === 'GRANTED' ? h('button', { type: 'button', class: 'secondary', onclick: () => guarded(async () => {
            await api('/v1/actions', { method: 'POST', body: { worker: { ssin: state.claims.ssin }, dataAccessRevocation: { requestId: c.requestId } } });
            await draw();
          }) }, t('revoke')) : null))))
        : h('p', {}, t('noConsents')));
    }
    guarded(draw);
  }

  // --- Citizen: the inbox (seed 001: attestations; DOMAIN §5: ONEM's decisions) ----------------
  // An action the server refused (201, result B) is said, with its reason, in `where`.
  function saidIfRefused(answer, where) {
    const body = answer.event.body;
    if (body.result === 'B') fill(where, t('refusedBecause', { reason: term(body.reason) }));
    return body.result !== 'B';
  }
  function inboxView(panel, focusToggle = false) {
    const out = h('div', { id: 'inbox' });
    const message = h('div', { id: 'inbox-message', role: 'status' });
    const archived = !!state.session.inboxArchived;
    const toggle = h('button', { type: 'button', class: 'secondary', id: 'inbox-toggle', onclick: () => {
      state.session.inboxArchived = !archived;
      inboxView(panel, true);
    } }, t(archived ? 'showInbox' : 'showArchived'));
    fill(panel, h('h2', {}, t(archived ? 'archiveTitle' : 'inboxTitle')), h('p', { class: 'note' }, t('inboxHelp')), toggle, out, message);
    if (focusToggle) toggle.focus();
    const subject = (m) => (m.kind === 'careerBreakDecision' ? t('decisionSubject', { ticket: m.messageId })
      : m.kind === 'interimOverview' ? t('overviewSubject') : t('attestationSubject'));
    const path = (m, rest = '') => citizenPath(`inbox/${encodeURIComponent(m.messageId)}${rest}`);
    async function read(m) {
      const a = await api(path(m));
      if (a.attestation) {
        const x = a.attestation;
        fill(message, h('h3', {}, subject(a)), h('p', {}, t('attestationMessage', {
          year: x.year, remaining: x.remainingHours, quota: x.quotaHours, code: x.accessCode, from: day(x.validFrom), until: day(x.validUntil) })));
      } else if (a.decision) {
        const r = a.decision.request;
        fill(message, h('h3', {}, subject(a)), h('p', { dataset: { decision: a.decision.decision } }, t('decisionMessage', {
          decision: term(a.decision.decision), kind: term(r.leaveKind), fraction: term(r.fraction),
          from: day(r.startDate), to: day(r.endDate), at: instant(a.decision.decidedAt) })));
      } else if (a.overview) {
        // The relations as they stood when it was sent; the PDF is the same read (its document).
        const o = a.overview;
        fill(message, h('h3', {}, subject(a)),
          h('p', { dataset: { relations: o.relations.total } }, t('overviewMessage', { from: day(o.from), to: day(o.to), at: instant(o.sentAt), count: o.relations.total })),
          o.relations.items.length ? table(t('overviewSubject'), [t('agency'), t('userCompany'), t('firstDay'), t('lastDay'), t('days')],
            o.relations.items.map((r) => h('tr', {},
              h('td', {}, r.agencyName ? `${r.agencyName} (${r.agency})` : r.agency),
              h('td', {}, r.userCompanyName || r.userCompany), h('td', {}, day(r.firstDay)), h('td', {}, day(r.lastDay)),
              h('td', { class: 'num' }, numberFormat().format(r.days)))), [4]) : null,
          h('button', { type: 'button', class: 'secondary', id: 'overview-pdf', onclick: () => guarded(async () => {
            download(await api(o.document, { accept: 'application/pdf' }), 'interim-relations.pdf');
          }) }, t('interimPdf')));
      }
    }
    async function draw() {
      const a = await api(citizenPath('inbox') + query({ archived: archived ? 'true' : undefined, pageSize: PAGE_SIZE }));
      fill(out, shownOf(a), a.items.length ? table(t(archived ? 'archiveTitle' : 'inboxTitle'), [t('deliveredAt'), t('messageSubject'), t('expiresAt'), ''],
        a.items.map((m) => h('tr', { dataset: { message: m.messageId, kind: m.kind } },
          h('td', {}, instant(m.deliveredAt)), h('td', {}, subject(m)), h('td', {}, instant(m.expiresAt)),
          h('td', {}, h('button', { type: 'button', class: 'secondary read', 'aria-label': `${t('read')}: ${subject(m)}`, onclick: () => guarded(() => read(m)) }, t('read')),
            archived ? null : h('button', { type: 'button', class: 'secondary archive', 'aria-label': `${t('archive')}: ${subject(m)}`, onclick: () => guarded(async () => {
              if (saidIfRefused(await api(path(m, '/archive'), { method: 'POST' }), message)) fill(message);
              await draw();
              toggle.focus();  // the row and its button are gone
            }) }, t('archive'))))))
        : h('p', {}, t('noMessages')));
    }
    guarded(draw);
  }

  // --- Citizen: my career-break requests (DOMAIN §5: the employee completes their part) ---------
  function myCareerBreaksView(panel) {
    const out = h('div', { id: 'my-career-breaks' });
    const answered = h('p', { role: 'status', id: 'career-answer' });
    const heading = h('h2', { tabindex: '-1' }, t('myCareerBreaksTitle'));
    fill(panel, heading, answered, out);
    async function draw() {
      const a = await api(citizenPath('careerBreakRequests'));
      const requests = a.requests || [];
      const notifications = a.notifications || [];
      const employer = (x) => (x.employerName ? `${x.employerName} (${x.employer})` : x.employer);
      fill(out,
        requests.length ? table(t('requests'), [t('ticket'), t('employer'), t('leaveKind'), t('fraction'), t('from'), t('to'), t('status'), t('changedAt'), ''],
          requests.map((r) => h('tr', { dataset: { ticket: r.ticket, status: r.status } }, h('td', {}, r.ticket), h('td', {}, employer(r)),
            h('td', {}, term(r.leaveKind)), h('td', {}, term(r.fraction)), h('td', {}, day(r.startDate)), h('td', {}, day(r.endDate)),
            h('td', {}, term(r.status)), h('td', {}, instant(r.changedAt)),
            h('td', {}, r.status === 'SUBMITTED' ? h('button', { type: 'button', class: 'secondary complete', 'aria-label': `${t('completeMyPart')}: ${r.ticket}`, onclick: () => guarded(async () => {
              const done = await api('/v1/actions', { method: 'POST', body: { worker: { ssin: state.claims.ssin }, careerBreakEmployeePart: { ticket: r.ticket } } });
              if (saidIfRefused(done, answered)) fill(answered, t('partCompleted', { ticket: r.ticket }));
              await draw();
              heading.focus();  // the button is gone
            }) }, t('completeMyPart')) : null)))) : null,
        notifications.length ? table(t('notifications'), [t('ticket'), t('employer'), t('leaveKind'), t('fraction'), t('status'), t('from'), t('to')],
          notifications.map((n) => h('tr', { dataset: { notification: n.notificationId } }, h('td', {}, n.notificationId), h('td', {}, employer(n)),
            h('td', {}, term(n.leaveKind)), h('td', {}, term(n.fraction)), h('td', {}, term(n.status)),
            h('td', {}, day(n.startDate)), h('td', {}, n.endDate ? day(n.endDate) : '')))) : null,
        requests.length + notifications.length ? null : h('p', {}, t('noCareerBreaks')));
    }
    guarded(draw);
  }

  // --- Who consulted my data --------------------------------------------------------------------
  function consultationsView(panel) {
    const out = h('div', { id: 'consultations' });
    fill(panel, h('h2', {}, t('consultationsTitle')), out);
    guarded(async () => {
      const answer = await api(citizenPath('consultations') + query({ pageSize: PAGE_SIZE }));
      fill(out, shownOf(answer), answer.items.length ? table(t('consultationsTitle'), [t('consultedAt'), t('by'), t('scope'), t('channel')],
        answer.items.map((c) => h('tr', {}, h('td', {}, instant(c.consultedAt)), h('td', {}, `${term(c.role)} ${c.by}`),
          h('td', {}, c.scope), h('td', {}, term(c.channel)))))
        : h('p', {}, t('noConsultations')));
    });
  }

  // --- Employer: an access code (the remaining hours, nothing else) ---------------------------
  function accessCodeView(panel) {
    const code = h('input', { autocomplete: 'off', maxlength: '11', 'aria-describedby': 'code-help', spellcheck: 'false' });
    const out = h('p', { id: 'code-result', role: 'status' });
    const form = h('form', { onsubmit: (e) => {
      e.preventDefault();
      fill(out);
      guarded(async () => {
        try {
          const a = await api(`/v1/accessCodes/${encodeURIComponent(code.value.trim().toUpperCase())}`);
          fill(out, h('strong', { dataset: { figure: 'remaining', value: a.remainingHours } },
            t('codeResult', { hours: numberFormat().format(a.remainingHours), year: a.year, until: day(a.validUntil) })));
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return fill(out, t('codeUnknown'));
          throw error;
        }
      });
    } }, field('code', t('accessCode'), code), h('p', { class: 'note', id: 'code-help' }, t('accessCodeHelp')),
    h('button', { type: 'submit' }, t('check')));
    fill(panel, h('h2', {}, t('accessCodeTitle')), form, out);
  }

  // --- Employer: data-access requests, their QR codes and links, the data once granted ---------
  function requestsView(panel) {
    const list = h('div', { id: 'requests' });
    const shown = h('div', { class: 'qr', id: 'qr', 'aria-live': 'polite' });
    const scope = select('scope', [['STUDENT_BALANCE', term('STUDENT_BALANCE')], ['FLEXI', term('FLEXI')]], 'STUDENT_BALANCE');
    const channel = select('channel', [['QR', term('QR')], ['LINK', term('LINK')]], 'QR');
    const sent = h('p', { role: 'status', id: 'request-sent' });
    const form = h('form', { class: 'row', onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const answer = await api('/v1/actions', { method: 'POST', body: {
          employer: { enterpriseNumber: state.claims.enterpriseNumber }, dataAccessRequest: { scope: scope.value, channel: channel.value } } });
        const body = answer.event.body;
        if (body.result === 'B') return fill(sent, t('refusedBecause', { reason: term(body.reason) }));
        // The link the citizen opens (the QR code holds the same): this server's consent page.
        const link = `${location.origin}/consent?token=${body.token}`;
        fill(sent, t('requestSent', { id: body.actionId }), ' ', h('a', { href: link, id: 'request-link' }, link));
        await draw();
      });
    } }, field('request-scope', t('scope'), scope), field('request-channel', t('channel'), channel), h('button', { type: 'submit' }, t('send')));
    fill(panel, h('h2', {}, t('requestsTitle')), h('h3', {}, t('newRequest')), form, sent, list, shown);
    function showQr(r) {
      return guarded(async () => {
        const svg = await api(`/v1/dataAccessRequests/${r.requestId}/qr`, { accept: 'image/svg+xml' });
        const old = shown.querySelector('img');
        if (old) URL.revokeObjectURL(old.src);
        fill(shown, h('img', { src: URL.createObjectURL(svg), alt: t('qrOf', { id: r.requestId }) }));
      });
    }
    function readData(r) {  // what the consent gives, while it is in force (403 otherwise, shown)
      return guarded(async () => {
        const d = await api(`/v1/citizens/${r.ssin}/consentedData${query({ scope: r.scope })}`);
        const what = d.scope === 'STUDENT_BALANCE'
          ? h('strong', { dataset: { figure: 'remaining', value: d.remainingHours } }, t('consentedBalance', { hours: numberFormat().format(d.remainingHours), year: d.year }))
          : h('strong', {}, t('consentedFlexi', { quarter: d.quarter, eligible: d.eligibility && d.eligibility.eligible ? t('yes') : t('no') }));
        fill(shown, h('p', { id: 'consented-data' }, what, ' ', t('consentedUntil', { until: instant(d.expiresAt) })));
      });
    }
    async function draw() {
      const answer = await api(`/v1/dataAccessRequests${query({ pageSize: PAGE_SIZE })}`);
      fill(list, shownOf(answer), answer.items.length ? table(t('requestsTitle'),
        [t('requestId'), t('scope'), t('channel'), t('requestedAt'), t('status'), t('ssinShort'), ''],
        answer.items.map((r) => h('tr', { dataset: { request: r.requestId, status: r.status } },
          h('td', {}, r.requestId), h('td', {}, term(r.scope)), h('td', {}, term(r.channel)), h('td', {}, instant(r.requestedAt)),
          h('td', {}, term(r.status)), h('td', {}, r.ssin || ''),
          h('td', {},
            h('button', { type: 'button', class: 'secondary', 'aria-label': t('qrOf', { id: r.requestId }), onclick: () => showQr(r) }, t('showQr')),
            r.status === 'GRANTED' ? h('button', { type: 'button', class: 'secondary read', onclick: () => readData(r) }, t('readData')) : null))))
        : h('p', {}, t('noRequests')));
    }
    guarded(draw);
  }

  // --- Employer (and auditor): the career-break overview --------------------------------------
  function careerBreaksView(panel) {
    const auditor = state.claims.role === 'auditor';
    const f = state.session.careerFilters || {};
    const kinds = ['TIME_CREDIT', 'END_OF_CAREER_TIME_CREDIT', 'CAREER_BREAK', 'PARENTAL_LEAVE', 'MEDICAL_ASSISTANCE', 'PALLIATIVE_CARE'];
    const statuses = ['SUBMITTED', 'CANCELLED', 'EMPLOYEE_COMPLETED', 'GRANTED', 'REFUSED', 'RECEIVED', 'POSTPONED', 'VALIDATED'];
    const controls = {
      employer: auditor ? h('input', { value: f.employer || '', inputmode: 'numeric', maxlength: '10', required: true }) : null,
      leaveKind: select('leaveKind', [['', t('anyValue')], ...kinds.map((k) => [k, term(k)])], f.leaveKind || ''),
      fraction: select('fraction', [['', t('anyValue')], ...['FULL', '1/2', '1/5', '1/10'].map((k) => [k, term(k)])], f.fraction || ''),
      status: select('status', [['', t('anyValue')], ...statuses.map((k) => [k, term(k)])], f.status || ''),
      ssin: h('input', { value: f.ssin || '', inputmode: 'numeric', maxlength: '11' }),
      from: h('input', { type: 'date', value: f.from || '' }), to: h('input', { type: 'date', value: f.to || '' }),
    };
    const filters = () => Object.fromEntries(Object.entries(controls).filter(([, el]) => el).map(([k, el]) => [k, el.value.trim()]));
    const out = h('div', { id: 'career-breaks' });
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); state.session.careerFilters = filters(); draw(); } },
      auditor ? field('cb-employer', t('employerOf'), controls.employer) : null,
      field('cb-kind', t('leaveKind'), controls.leaveKind), field('cb-fraction', t('fraction'), controls.fraction),
      field('cb-status', t('status'), controls.status), field('cb-ssin', t('ssin'), controls.ssin),
      field('cb-from', t('from'), controls.from), field('cb-to', t('to'), controls.to), h('button', { type: 'submit' }, t('filter')));
    fill(panel, h('h2', {}, t('careerBreaksTitle')), form, out);
    function draw() {
      if (auditor && !controls.employer.value.trim()) return;
      guarded(async () => {
        const a = await api(`/v1/careerBreakRequests${query(filters())}`);
        const requests = a.requests || [];
        const notifications = a.notifications || [];
        fill(out,
          requests.length ? table(t('requests'), [t('ticket'), t('ssinShort'), t('leaveKind'), t('fraction'), t('from'), t('to'), t('status'), t('submittedAt'), t('changedAt'), t('detail')],
            requests.map((r) => h('tr', { dataset: { ticket: r.ticket } }, h('td', {}, r.ticket), h('td', {}, r.ssin || ''),
              h('td', {}, term(r.leaveKind)), h('td', {}, term(r.fraction)), h('td', {}, r.startDate ? day(r.startDate) : ''),
              h('td', {}, r.endDate ? day(r.endDate) : ''), h('td', {}, term(r.status)),
              h('td', {}, instant(r.submittedAt)), h('td', {}, instant(r.changedAt)), h('td', {}, r.detail || '')))) : null,
          notifications.length ? table(t('notifications'), [t('ticket'), t('ssinShort'), t('leaveKind'), t('fraction'), t('status'), t('from'), t('to')],
            notifications.map((n) => h('tr', { dataset: { ticket: n.ticket || n.notificationId || '' } }, h('td', {}, n.ticket || n.notificationId || ''),
              h('td', {}, n.ssin || ''), h('td', {}, term(n.leaveKind)), h('td', {}, term(n.fraction)), h('td', {}, term(n.status)),
              h('td', {}, n.startDate ? day(n.startDate) : ''), h('td', {}, n.endDate ? day(n.endDate) : '')))) : null,
          requests.length + notifications.length ? null : h('p', {}, t('noCareerBreaks')));
      });
    }
    draw();
  }

  // --- Auditor: a citizen's history, replayed at any instant ----------------------------------
  // Every read an auditor makes of a citizen is recorded in the ledger (who looked), so the page
  // keeps what it read: a language switch redraws from it, and a slide asks only once it rests.
  function historyView(panel) {
    const ssin = h('input', { value: state.session.historySsin || '', inputmode: 'numeric', maxlength: '11', pattern: '[0-9]{11}', required: true });
    const out = h('div', { id: 'history' });
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); load(ssin.value.trim()); } },
      field('history-ssin', t('ssin'), ssin), h('button', { type: 'submit' }, t('show')));
    fill(panel, h('h2', {}, t('historyTitle')), h('p', { class: 'note' }, t('recordedNote')), form, out);
    async function load(who) {
      await guarded(async () => {
        const events = [];
        let total = 0;
        let anomalies = null;
        for (let page = 1; events.length < HISTORY_EVENTS_MAX; ++page) {
          const a = await api(`/v1/audit/citizens/${who}/events${query({ page, pageSize: PAGE_SIZE })}`);
          events.push(...a.items);
          total = a.total;
          if (a.items.length < PAGE_SIZE) break;
        }
        if (events.length) anomalies = await api(`/v1/citizens/${who}/anomalies`);
        state.session.history = { who, events, total, anomalies, at: events.length, replayed: null };
        state.session.historySsin = who;
        drawHistory(out);
      });
    }
    if (state.session.history) drawHistory(out);
  }
  function drawHistory(out) {
    const kept = state.session.history;
    const { who, events, total } = kept;
    if (!events.length) return fill(out, h('p', {}, t('noEvents')));
    const slider = h('input', { type: 'range', min: '1', max: String(events.length), value: String(kept.at), step: '1', 'aria-describedby': 'as-of-help' });
    const asOfText = h('output', { for: 'as-of', id: 'as-of-value' });
    const timeline = h('ol', { class: 'timeline', id: 'timeline' }, events.map((e, i) => h('li', { dataset: { index: i + 1, offset: `${e.partition}:${e.offset}` } },
      h('time', { datetime: e.recordedAt }, instant(e.recordedAt)), ' — ', h('strong', {}, e.type),
      e.decision ? ` — ${t('decision')} ${e.decision.result || ''}: ${e.decision.rule || ''}` : '')));
    const stateAt = h('div', { id: 'state-at', 'aria-live': 'polite' });
    const anomalies = (kept.anomalies && kept.anomalies.items) || [];
    let timer = null;
    slider.addEventListener('input', () => { kept.at = Number(slider.value); mark(); });
    slider.addEventListener('change', () => {
      clearTimeout(timer);
      timer = setTimeout(replay, SLIDER_SETTLE_MS);
    });
    fill(out,
      events.length < total ? h('p', { class: 'note' }, t('eventsShown', { shown: events.length, total })) : null,
      field('as-of', t('asOf'), slider), h('p', { class: 'note', id: 'as-of-help' }, t('asOfHelp')), asOfText, stateAt, timeline,
      h('h3', {}, t('anomaliesTitle')),
      anomalies.length ? table(t('anomaliesTitle'), [t('recordedAt'), t('declaration'), t('decision'), t('anomalyCodes')], anomalies.map((a) =>
        h('tr', {}, h('td', {}, instant(a.recordedAt)), h('td', {}, `${a.kind} ${a.declarationId}`), h('td', {}, a.result),
          h('td', {}, (a.anomalies || []).join(', '))))) : h('p', {}, t('noAnomalies')));
    const at = () => events[kept.at - 1].recordedAt;
    function mark() {
      asOfText.textContent = instant(at());
      slider.setAttribute('aria-valuetext', `${instant(at())}: ${events[kept.at - 1].type}`);
      for (const li of timeline.children) {
        const i = Number(li.dataset.index);
        li.className = i === kept.at ? 'current' : i > kept.at ? 'after' : '';
      }
    }
    function show() {
      const r = kept.replayed;
      fill(stateAt,
        h('h3', {}, t('stateAt', { instant: instant(r.asOf) })),
        h('div', { class: 'cards', dataset: { asOf: r.asOf } }, r.balance.items.map(balanceCard)),
        h('h3', {}, t('stateHash', { instant: instant(r.asOf) })),
        h('p', { class: 'hash', id: 'state-hash', dataset: { hash: r.hash.stateHash } }, r.hash.stateHash),
        h('p', {}, `${t('offsets')}: ${r.hash.offsets.join(', ')}`));
    }
    function replay() {
      const asOf = at();
      if (kept.replayed && kept.replayed.asOf === asOf) return show();
      guarded(async () => {
        const [balance, hash] = await Promise.all([
          api(`/v1/citizens/${who}/studentBalance${query({ asOf })}`),  // the year before, that one, the next
          api(`/v1/audit/stateHash${query({ asOf })}`)]);
        if (asOf !== at()) return;  // the slider moved on meanwhile
        kept.replayed = { asOf, balance, hash };
        show();
      });
    }
    mark();
    replay();
  }

  // --- Start ---------------------------------------------------------------------------------
  // The sign-in form's fields for the chosen role; the others are disabled (not sent, not checked).
  function showDevFields() {
    const role = document.getElementById('dev-role').value;
    const show = { 'dev-ssin': role === 'citizen', 'dev-enterprise': role === 'employer' || role === 'agency', 'dev-subject': role === 'auditor' };
    for (const [id, on] of Object.entries(show)) {
      document.getElementById(`${id}-field`).hidden = !on;
      document.getElementById(id).disabled = !on;
    }
  }
  async function devSignIn(e) {
    e.preventDefault();
    const role = document.getElementById('dev-role').value;
    const body = { role };
    const value = (id) => document.getElementById(id).value.trim();
    if (role === 'citizen') body.ssin = value('dev-ssin');
    if (role === 'employer' || role === 'agency') body.enterpriseNumber = value('dev-enterprise');
    if (role === 'auditor' && value('dev-subject')) body.subject = value('dev-subject');
    try {
      const response = await fetch('/portal/signIn', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) return alertText(problemText(new ApiError(response.status, answer)));
      useToken(answer.token);
    } catch (error) {
      alertText(problemText(error));
    }
  }
  function start() {
    state.language = chooseLanguage();
    document.getElementById('language').addEventListener('change', (e) => {
      state.language = e.target.value;
      localStorage.setItem(LANGUAGE_KEY, state.language);
      applyLanguage();
    });
    document.getElementById('sign-out').addEventListener('click', signOut);
    document.getElementById('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      useToken(document.getElementById('token-input').value);
    });
    document.getElementById('dev-role').addEventListener('change', showDevFields);
    document.getElementById('dev-form').addEventListener('submit', devSignIn);
    showDevFields();
    // A consent link (/consent?token=T answers 303 to /portal/#consent=T): kept for the citizen's
    // consents page, once signed in as themselves. The fragment is taken out of the address bar.
    const consent = new URLSearchParams(location.hash.slice(1)).get('consent');
    if (consent && /^[0-9A-Z]{20}$/.test(consent)) state.pendingConsent = consent;
    if (location.hash) history.replaceState(null, '', location.pathname);
    applyLanguage();
    // The development sign-in shows when the server has it (serve --portal-sign-in).
    fetch('/portal/config.json').then((r) => r.json())
      .then((config) => { document.getElementById('dev-form').hidden = config.signIn !== true; })
      .catch(() => {});
    const kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) useToken(kept);
  }
  start();
})();
