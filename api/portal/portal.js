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
  const SLIDER_SETTLE_MS = 250;      // a slide asks the ledger once it rests this long
  const COLOURS = 8;                 // portal.css .c0 … .c7

  const state = { token: null, claims: null, language: 'en', render: null };

  // --- Words ---------------------------------------------------------------------------------
  function t(key, values = {}) {
    const texts = window.PORTAL_TEXTS;
    const text = (texts[state.language] && texts[state.language][key]) || texts.en[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
  }
  const numberFormat = () => new Intl.NumberFormat(state.language);
  const hours = (n) => t('hoursUnit', { n: numberFormat().format(n) });
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
  // h('td', {class: 'num', dataset: {value: 3}}, 'text', child): attributes, then children.
  function h(tag, attributes = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'dataset') Object.assign(el.dataset, value);
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  function table(caption, headers, rows, numeric = []) {
    return h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
      h('tbody', {}, rows));
  }
  function field(id, label, control) {
    control.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, label), control);
  }
  function select(name, options, value) {
    const el = h('select', { name });
    for (const [v, text] of options) el.append(h('option', { value: v, selected: v === value }, text));
    return el;
  }
  // el's children become `children`, those that are null, undefined or false left out (the DOM
  // would write them as text).
  function fill(el, ...children) {
    el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
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
  // Runs `work`, showing "loading" and then its refusal, if any, in the alert region.
  async function guarded(work) {
    alertText('');
    say(t('loading'));
    try {
      await work();
      say('');
    } catch (error) {
      say('');
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
  // The claims of a compact JWT, read to choose the pages (the server verifies it on every call).
  function claimsOf(token) {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
      return typeof claims === 'object' && claims && typeof claims.role === 'string' ? claims : null;
    } catch (_) {
      return null;
    }
  }
  function useToken(token) {
    const claims = claimsOf(token.trim());
    if (!claims) return alertText(t('badToken'));
    state.token = token.trim();
    state.claims = claims;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    alertText('');
    showViews();
  }
  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.claims = null;
    state.render = null;
    state.tab = 0;
    document.getElementById('view').replaceChildren();
    document.getElementById('view').hidden = true;
    document.getElementById('sign-in').hidden = false;
    showWho();
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
  // A tab list (WAI-ARIA tabs: arrows move, Enter or a click shows) over panels drawn on demand.
  function tabs(entries) {
    const view = document.getElementById('view');
    const list = h('div', { role: 'tablist', 'aria-label': t('title') });
    const panel = h('div', { role: 'tabpanel', id: 'panel', tabindex: '0' });
    let current = Math.min(state.tab || 0, entries.length - 1);
    const buttons = entries.map(([key], i) => h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': 'panel',
      onclick: () => choose(i, true),
      onkeydown: (e) => {
        const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
        if (next === null) return;
        e.preventDefault();
        choose((next + entries.length) % entries.length, true);
        buttons[(next + entries.length) % entries.length].focus();
      },
    }, t(key)));
    function choose(i, user) {
      current = i;
      state.tab = i;
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(j === i));
        b.tabIndex = j === i ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', buttons[i].id);
      panel.replaceChildren();
      alertText('');
      entries[i][1](panel);
      if (user) history.replaceState(null, '', `#${entries[i][0]}`);
    }
    list.append(...buttons);
    view.replaceChildren(list, panel);
    const wanted = entries.findIndex(([key]) => `#${key}` === location.hash);
    choose(wanted >= 0 ? wanted : current, false);
  }

  function showViews() {
    document.getElementById('sign-in').hidden = true;
    const view = document.getElementById('view');
    view.hidden = false;
    showWho();
    const role = state.claims.role;
    state.render = () => {
      if (role === 'citizen') return tabs([
        ['tabBalance', balanceView], ['tabCalendar', calendarView], ['tabInterim', interimView],
        ['tabAttestations', attestationsView], ['tabConsultations', consultationsView]]);
      if (role === 'employer' || role === 'agency') return tabs([
        ['tabAccessCode', accessCodeView], ['tabRequests', requestsView], ['tabCareerBreaks', careerBreaksView]]);
      if (role === 'auditor') return tabs([['tabHistory', historyView], ['tabCareerBreaks', careerBreaksView]]);
      return view.replaceChildren(h('p', {}, t('declarantNoPortal')));
    };
    state.render();
  }

  const citizenPath = (rest) => `/v1/citizens/${encodeURIComponent(state.claims.ssin)}/${rest}`;
  const thisYear = () => new Date().getUTCFullYear();

  // --- Student: balances ----------------------------------------------------------------------
  function balanceCard(b) {
    const periods = b.periods || [];
    return h('article', { class: 'card', 'aria-labelledby': `year-${b.year}`, dataset: { year: b.year } },
      h('h3', { id: `year-${b.year}` }, `${t('year')} ${b.year}`),
      h('dl', { class: 'figures' },
        h('dt', {}, t('quota')), h('dd', { dataset: { figure: 'quota', value: b.quota } }, hours(b.quota)),
        h('dt', {}, t('used')), h('dd', { dataset: { figure: 'used', value: b.used } }, hours(b.used)),
        h('dt', {}, t('remaining')), h('dd', { class: 'big', dataset: { figure: 'remaining', value: b.remaining } }, hours(b.remaining)),
        b.exceeding ? [h('dt', {}, t('exceeding')), h('dd', { dataset: { figure: 'exceeding', value: b.exceeding } }, hours(b.exceeding))] : null),
      (b.employers || []).length ? table(t('employer'), [t('employer'), t('planned'), t('worked'), t('stillToWork')],
        b.employers.map((e) => h('tr', { dataset: { employer: e.employer } },
          h('td', {}, e.employerName ? `${e.employerName} (${e.employer})` : e.employer),
          h('td', { class: 'num', dataset: { figure: 'planned', value: e.planned } }, hours(e.planned)),
          h('td', { class: 'num' }, hours(e.worked)),
          h('td', { class: 'num' }, hours(e.stillToWork)))), [1, 2, 3]) : h('p', {}, t('noPeriods')),
      periods.length ? h('details', {},
        h('summary', {}, t('howComputed')),
        h('p', {}, t('formula', { quota: b.quota, used: b.used, remaining: b.remaining })),
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
    panel.append(h('h2', {}, t('balanceTitle')), cards);
    guarded(async () => {
      const answer = await api(citizenPath('studentBalance'));  // the previous, current and next year
      fill(cards, ...answer.items.map(balanceCard));
    });
  }

  // --- Student: calendar ----------------------------------------------------------------------
  function calendarView(panel) {
    const year = h('select', { id: 'calendar-year' });
    for (const y of [thisYear() - 1, thisYear(), thisYear() + 1]) year.append(h('option', { value: y, selected: y === (state.calendarYear || thisYear() - 1) }, y));
    const out = h('div', { id: 'calendar' });
    year.addEventListener('change', () => { state.calendarYear = Number(year.value); draw(); });
    panel.append(h('h2', {}, t('calendarTitle')), h('div', { class: 'field' }, h('label', { for: 'calendar-year' }, t('year')), year), out);
    function draw() {
      guarded(async () => {
        const answer = await api(citizenPath('calendar') + query({ year: year.value }));
        fill(out, calendarOf(Number(year.value), (answer.items[0] || {}).employers || []));
      });
    }
    draw();
  }
  // Twelve month grids; a declared day coloured by its employer (two or more: striped), its
  // employers' names as the title (hover) and in the cell's accessible name.
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
    const nameOf = (e) => e.employerName ? `${e.employerName} (${e.employer})` : e.employer;
    const legend = h('ul', { class: 'legend', 'aria-label': t('calendarLegend') }, employers.map((e, i) =>
      h('li', {}, h('span', { class: `swatch c${i % COLOURS}`, 'aria-hidden': 'true' }), nameOf(e))));
    const weekday = new Intl.DateTimeFormat(state.language, { weekday: 'narrow', timeZone: 'UTC' });
    const monthName = new Intl.DateTimeFormat(state.language, { month: 'long', timeZone: 'UTC' });
    const months = h('div', { class: 'months' });
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
        const label = who.length ? t('dayWith', { date: day(key), employers: names }) : t('dayNone', { date: day(key) });
        cells.push(h('td', {}, h('span', {
          class: `day${who.length === 1 ? ` c${who[0] % COLOURS}` : who.length > 1 ? ' cmany' : ''}`,
          title: who.length ? names : null, 'aria-label': label, tabindex: who.length ? '0' : null,
          dataset: who.length ? { date: key, employers: who.map((i) => employers[i].employer).join(' ') } : {},
        }, d)));
        if (cells.length === 7) { rows.push(h('tr', {}, cells)); cells = []; }
      }
      if (cells.length) rows.push(h('tr', {}, cells));
      const head = [0, 1, 2, 3, 4, 5, 6].map((i) => h('th', { scope: 'col' }, weekday.format(Date.UTC(2024, 0, 1 + i))));
      months.append(h('div', { class: 'month' }, h('table', {}, h('caption', {}, monthName.format(first)), h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows))));
    }
    return h('div', {}, employers.length ? legend : h('p', {}, t('noDays')), months);
  }

  // --- Interim worker -------------------------------------------------------------------------
  function interimView(panel) {
    const f = state.interimFilters || { from: `${thisYear() - 1}-01-01`, to: `${thisYear() + 1}-12-31`, workerType: '', agency: '', userCompany: '' };
    const controls = {
      from: h('input', { type: 'date', value: f.from }), to: h('input', { type: 'date', value: f.to }),
      workerType: select('workerType', [['', t('anyValue')], ['STU', 'STU'], ['FLX', 'FLX'], ['OTH', 'OTH'], ['EXT', 'EXT'], ['DWD', 'DWD']], f.workerType),
      agency: h('input', { value: f.agency, inputmode: 'numeric', maxlength: '10' }),
      userCompany: h('input', { value: f.userCompany, maxlength: '120' }),
    };
    const out = h('div', { id: 'interim' });
    const filters = () => Object.fromEntries(Object.entries(controls).map(([k, el]) => [k, el.value.trim()]));
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); state.interimFilters = filters(); draw(); } },
      field('interim-from', t('from'), controls.from), field('interim-to', t('to'), controls.to),
      field('interim-type', t('workerType'), controls.workerType), field('interim-agency', t('agency'), controls.agency),
      field('interim-user', t('userCompany'), controls.userCompany),
      h('button', { type: 'submit' }, t('filter')),
      h('button', { type: 'button', class: 'secondary', id: 'interim-pdf', onclick: () => guarded(async () => {
        download(await api(citizenPath('interimRelations') + query({ ...filters(), format: 'pdf' }), { accept: 'application/pdf' }), 'interim-relations.pdf');
      }) }, t('interimPdf')));
    panel.append(h('h2', {}, t('interimTitle')), form, out);
    function draw() {
      guarded(async () => {
        const answer = await api(citizenPath('interimRelations') + query({ ...filters(), pageSize: PAGE_SIZE }));
        fill(out, answer.items.length ? table(t('interimTitle'),
          [t('agency'), t('userCompany'), t('firstDay'), t('lastDay'), t('days'), t('workerType')],
          answer.items.map((r) => h('tr', { dataset: { relation: `${r.agency}|${r.userCompany}|${r.firstDay}` } },
            h('td', {}, r.agencyName ? `${r.agencyName} (${r.agency})` : r.agency),
            h('td', {}, r.userCompanyName ? `${r.userCompanyName}${/^\d{10}$/.test(r.userCompany) ? ` (${r.userCompany})` : ''}` : r.userCompany),
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
    // The year is the server's (the current one; the next from 1 December: docs/api.md).
    const button = h('button', { type: 'button', id: 'attestation-pdf', onclick: () => guarded(async () => {
      const pdf = await api(citizenPath('attestations'), { method: 'POST', accept: 'application/pdf' });
      download(pdf, 'attestation.pdf');
      await draw();
    }) }, t('attestationPdf'));
    panel.append(h('h2', {}, t('attestationsTitle')), button, list);
    async function draw() {
      const answer = await api(citizenPath('attestations'));
      fill(list, answer.items.length ? table(t('attestationsTitle'),
        [t('year'), t('remaining'), t('accessCode'), t('validFrom'), t('validUntil'), t('issuedAt')],
        answer.items.map((a) => h('tr', {},
          h('td', {}, a.year), h('td', { class: 'num' }, hours(a.remainingHours)), h('td', { class: 'hash' }, a.accessCode),
          h('td', {}, day(a.validFrom)), h('td', {}, day(a.validUntil)), h('td', {}, instant(a.issuedAt)))), [1])
        : h('p', {}, t('noAttestations')));
    }
    guarded(draw);
  }

  // --- Who consulted my data --------------------------------------------------------------------
  function consultationsView(panel) {
    const out = h('div', { id: 'consultations' });
    panel.append(h('h2', {}, t('consultationsTitle')), out);
    guarded(async () => {
      const answer = await api(citizenPath('consultations') + query({ pageSize: PAGE_SIZE }));
      fill(out, answer.items.length ? table(t('consultationsTitle'), [t('consultedAt'), t('by'), t('scope'), t('channel')],
        answer.items.map((c) => h('tr', {}, h('td', {}, instant(c.consultedAt)), h('td', {}, `${c.role} ${c.by}`),
          h('td', {}, c.scope), h('td', {}, c.channel))))
        : h('p', {}, t('noConsultations')));
    });
  }

  // --- Employer: an access code (the remaining hours, nothing else) ---------------------------
  function accessCodeView(panel) {
    const code = h('input', { autocomplete: 'off', maxlength: '11', 'aria-describedby': 'code-help', spellcheck: 'false' });
    const out = h('p', { id: 'code-result', role: 'status' });
    const form = h('form', { onsubmit: (e) => {
      e.preventDefault();
      out.textContent = '';
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
    panel.append(h('h2', {}, t('accessCodeTitle')), form, out);
  }

  // --- Employer: data-access requests and their QR codes --------------------------------------
  function requestsView(panel) {
    const list = h('div', { id: 'requests' });
    const qr = h('div', { class: 'qr', id: 'qr', 'aria-live': 'polite' });
    const scope = select('scope', [['STUDENT_BALANCE', t('requestScopeStudent')], ['FLEXI', t('requestScopeFlexi')]], 'STUDENT_BALANCE');
    const channel = select('channel', [['QR', t('requestChannelQr')], ['LINK', t('requestChannelLink')]], 'QR');
    const sent = h('p', { role: 'status' });
    const form = h('form', { class: 'row', onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const answer = await api('/v1/actions', { method: 'POST', body: {
          employer: { enterpriseNumber: state.claims.enterpriseNumber }, dataAccessRequest: { scope: scope.value, channel: channel.value } } });
        const body = answer.event.body;
        sent.textContent = body.result === 'B' ? t('error', { title: body.reason || 'B' }) : t('requestSent', { id: body.actionId, token: body.token });
        await draw();
      });
    } }, field('request-scope', t('scope'), scope), field('request-channel', t('channel'), channel), h('button', { type: 'submit' }, t('send')));
    panel.append(h('h2', {}, t('requestsTitle')), h('h3', {}, t('newRequest')), form, sent, list, qr);
    async function draw() {
      const answer = await api(`/v1/dataAccessRequests${query({ pageSize: PAGE_SIZE })}`);
      fill(list, answer.items.length ? table(t('requestsTitle'),
        [t('requestId'), t('scope'), t('channel'), t('requestedAt'), t('status'), t('ssin'), ''],
        answer.items.map((r) => h('tr', { dataset: { request: r.requestId } },
          h('td', {}, r.requestId), h('td', {}, r.scope), h('td', {}, r.channel), h('td', {}, instant(r.requestedAt)),
          h('td', {}, r.status), h('td', {}, r.ssin || ''),
          h('td', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': t('qrOf', { id: r.requestId }), onclick: () => guarded(async () => {
            const svg = await api(`/v1/dataAccessRequests/${r.requestId}/qr`, { accept: 'image/svg+xml' });
            const old = qr.querySelector('img');
            if (old) URL.revokeObjectURL(old.src);
            fill(qr, h('img', { src: URL.createObjectURL(svg), alt: t('qrOf', { id: r.requestId }) }));
          }) }, t('showQr'))))))
        : h('p', {}, t('noRequests')));
    }
    guarded(draw);
  }

  // --- Employer (and auditor): the career-break overview --------------------------------------
  function careerBreaksView(panel) {
    const auditor = state.claims.role === 'auditor';
    const f = state.careerFilters || {};
    const kinds = ['TIME_CREDIT', 'END_OF_CAREER_TIME_CREDIT', 'CAREER_BREAK', 'PARENTAL_LEAVE', 'MEDICAL_ASSISTANCE', 'PALLIATIVE_CARE'];
    const statuses = ['SUBMITTED', 'CANCELLED', 'EMPLOYEE_COMPLETED', 'GRANTED', 'REFUSED', 'RECEIVED', 'POSTPONED', 'VALIDATED'];
    const controls = {
      employer: auditor ? h('input', { value: f.employer || '', inputmode: 'numeric', maxlength: '10', required: true }) : null,
      leaveKind: select('leaveKind', [['', t('anyValue')], ...kinds.map((k) => [k, k])], f.leaveKind || ''),
      fraction: select('fraction', [['', t('anyValue')], ...['FULL', '1/2', '1/5', '1/10'].map((k) => [k, k])], f.fraction || ''),
      status: select('status', [['', t('anyValue')], ...statuses.map((k) => [k, k])], f.status || ''),
      ssin: h('input', { value: f.ssin || '', inputmode: 'numeric', maxlength: '11' }),
      from: h('input', { type: 'date', value: f.from || '' }), to: h('input', { type: 'date', value: f.to || '' }),
    };
    const filters = () => Object.fromEntries(Object.entries(controls).filter(([, el]) => el).map(([k, el]) => [k, el.value.trim()]));
    const out = h('div', { id: 'career-breaks' });
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); state.careerFilters = filters(); draw(); } },
      auditor ? field('cb-employer', t('employerOf'), controls.employer) : null,
      field('cb-kind', t('leaveKind'), controls.leaveKind), field('cb-fraction', t('fraction'), controls.fraction),
      field('cb-status', t('status'), controls.status), field('cb-ssin', t('ssin'), controls.ssin),
      field('cb-from', t('from'), controls.from), field('cb-to', t('to'), controls.to), h('button', { type: 'submit' }, t('filter')));
    panel.append(h('h2', {}, t('careerBreaksTitle')), form, out);
    function draw() {
      if (auditor && !controls.employer.value.trim()) return;
      guarded(async () => {
        const a = await api(`/v1/careerBreakRequests${query(filters())}`);
        const requests = a.requests || [];
        const notifications = a.notifications || [];
        fill(out, 
          requests.length ? table(t('requests'), [t('ticket'), t('ssin'), t('leaveKind'), t('fraction'), t('status'), t('submittedAt'), t('changedAt'), t('detail')],
            requests.map((r) => h('tr', { dataset: { ticket: r.ticket } }, h('td', {}, r.ticket), h('td', {}, r.ssin || ''),
              h('td', {}, r.leaveKind || ''), h('td', {}, r.fraction || ''), h('td', {}, r.status),
              h('td', {}, instant(r.submittedAt)), h('td', {}, instant(r.changedAt)), h('td', {}, r.detail || '')))) : null,
          notifications.length ? table(t('notifications'), [t('ticket'), t('ssin'), t('leaveKind'), t('fraction'), t('status'), t('from'), t('to')],
            notifications.map((n) => h('tr', { dataset: { ticket: n.ticket || n.notificationId || '' } }, h('td', {}, n.ticket || n.notificationId || ''),
              h('td', {}, n.ssin || ''), h('td', {}, n.leaveKind || ''), h('td', {}, n.fraction || ''), h('td', {}, n.status),
              h('td', {}, n.startDate ? day(n.startDate) : ''), h('td', {}, n.endDate ? day(n.endDate) : '')))) : null,
          requests.length + notifications.length ? null : h('p', {}, t('noCareerBreaks')));
      });
    }
    draw();
  }

  // --- Auditor: a citizen's history, replayed at any instant ----------------------------------
  function historyView(panel) {
    const ssin = h('input', { value: state.historySsin || '', inputmode: 'numeric', maxlength: '11', pattern: '[0-9]{11}', required: true });
    const out = h('div', { id: 'history' });
    const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); state.historySsin = ssin.value.trim(); load(); } },
      field('history-ssin', t('ssin'), ssin), h('button', { type: 'submit' }, t('show')));
    panel.append(h('h2', {}, t('historyTitle')), h('p', { class: 'note' }, t('recordedNote')), form, out);
    async function load() {
      const who = encodeURIComponent(state.historySsin);
      await guarded(async () => {
        const events = [];
        let total = 0;
        for (let page = 1; events.length < HISTORY_EVENTS_MAX; ++page) {
          const a = await api(`/v1/audit/citizens/${who}/events${query({ page, pageSize: PAGE_SIZE })}`);
          events.push(...a.items);
          total = a.total;
          if (a.items.length < PAGE_SIZE) break;
        }
        if (!events.length) return fill(out, h('p', {}, t('noEvents')));
        drawHistory(out, who, events, total);
      });
    }
    if (state.historySsin) load();
  }
  function drawHistory(out, who, events, total) {
    const slider = h('input', { type: 'range', min: '1', max: String(events.length), value: String(events.length), step: '1',
      'aria-describedby': 'as-of-help' });
    const asOfText = h('output', { for: 'as-of', id: 'as-of-value' });
    const timeline = h('ol', { class: 'timeline', id: 'timeline' }, events.map((e, i) => h('li', { dataset: { index: i + 1, offset: `${e.partition}:${e.offset}` } },
      h('time', { datetime: e.recordedAt }, instant(e.recordedAt)), ' — ', h('strong', {}, e.type),
      e.decision ? ` — ${t('decision')} ${e.decision.result || ''}: ${e.decision.rule || ''}` : '')));
    const state_ = h('div', { id: 'state-at', 'aria-live': 'polite' });
    let timer = null;
    slider.addEventListener('input', () => {
      mark();
      clearTimeout(timer);
      timer = setTimeout(replay, SLIDER_SETTLE_MS);
    });
    fill(out, 
      events.length < total ? h('p', { class: 'note' }, t('eventsShown', { shown: events.length, total })) : null,
      field('as-of', t('asOf'), slider), h('p', { class: 'note', id: 'as-of-help' }, t('asOfHelp')), asOfText, state_, timeline);
    function at() { return events[Number(slider.value) - 1].recordedAt; }
    function mark() {
      const k = Number(slider.value);
      asOfText.textContent = instant(at());
      slider.setAttribute('aria-valuetext', `${instant(at())}: ${events[k - 1].type}`);
      for (const li of timeline.children) {
        const i = Number(li.dataset.index);
        li.className = i === k ? 'current' : i > k ? 'after' : '';
      }
    }
    function replay() {
      const asOf = at();
      guarded(async () => {
        const [balance, hash] = await Promise.all([
          api(`/v1/citizens/${who}/studentBalance${query({ asOf })}`),  // the year before, that one, the next
          api(`/v1/audit/stateHash${query({ asOf })}`)]);
        if (asOf !== at()) return;  // the slider moved on meanwhile
        fill(state_, 
          h('h3', {}, t('stateAt', { instant: instant(asOf) })),
          h('div', { class: 'cards', dataset: { asOf } }, balance.items.map(balanceCard)),
          h('h3', {}, t('stateHash', { instant: instant(asOf) })),
          h('p', { class: 'hash', id: 'state-hash', dataset: { hash: hash.stateHash } }, hash.stateHash),
          h('p', {}, `${t('offsets')}: ${hash.offsets.join(', ')}`));
      });
    }
    mark();
    replay();
  }

  // --- Start ---------------------------------------------------------------------------------
  async function start() {
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
    const role = document.getElementById('dev-role');
    role.addEventListener('change', () => {
      document.getElementById('dev-ssin-field').hidden = role.value !== 'citizen';
      document.getElementById('dev-enterprise-field').hidden = role.value !== 'employer' && role.value !== 'agency';
    });
    document.getElementById('dev-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { role: role.value };
      if (role.value === 'citizen') body.ssin = document.getElementById('dev-ssin').value.trim();
      if (role.value === 'employer' || role.value === 'agency') body.enterpriseNumber = document.getElementById('dev-enterprise').value.trim();
      const response = await fetch('/portal/signIn', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) return alertText(problemText(new ApiError(response.status, answer)));
      useToken(answer.token);
    });
    applyLanguage();
    // The development sign-in shows when the server has it (serve --portal-sign-in).
    fetch('/portal/config.json').then((r) => r.json())
      .then((config) => { document.getElementById('dev-form').hidden = config.signIn !== true; })
      .catch(() => {});
    // A token handed in the fragment (#token=…) is taken and taken out of the address bar.
    const handed = new URLSearchParams(location.hash.slice(1)).get('token');
    if (handed) {
      history.replaceState(null, '', location.pathname);
      return useToken(handed);
    }
    const kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) useToken(kept);
  }
  start();
})();
