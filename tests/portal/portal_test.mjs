// Portal.Browser (CTest, tests/CMakeLists.txt): the reference portal (docs/portal.md) in a real
// browser. Generates a 2025 year with its employers' register, ingests it, starts
// `serve --port 0 --portal-sign-in` on 127.0.0.1, and drives Debian's headless Chromium with
// playwright-core: each page signs in through the form, shows exactly the figures the API returns
// to a real HTTP client (Node's fetch) with the same role, refuses what the role may not see,
// speaks French, Dutch and English, passes a few accessibility checks (labels, names, alt texts,
// contrast, keyboard), loads nothing from outside and raises no script or CSP error. Screenshots
// of each page go to --out (the test's artefacts; docs/portal.md shows them).
//
//   node tests/portal/portal_test.mjs --cli build/api/dimona-ledger --out build/portal-screenshots
//
// Exits 0 when every check passed, 1 listing the failures.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const cli = args.cli;
const out = args.out || path.join(os.tmpdir(), 'portal-screenshots');
const chromiumPath = args.chromium || '/usr/bin/chromium';
if (!cli) throw new Error('usage: portal_test.mjs --cli DIMONA_LEDGER [--out DIR] [--chromium PATH]');
fs.mkdirSync(out, { recursive: true });

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}
const equal = (actual, expected, what) => check(actual === expected, `${what}: ${JSON.stringify(actual)} ${actual === expected ? '==' : '!='} ${JSON.stringify(expected)}`);

// --- The ledger: a generated year, ingested, served ---------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-test-'));
const data = path.join(tmp, 'data');
function run(...argv) {
  const r = spawnSync(cli, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
run('generate', '--year', '2025', '--students', '400', '--seed', '7', '-o', path.join(tmp, 'year.ndjson'), '--kbo', path.join(tmp, 'kbo'));
run('employers', 'import', path.join(tmp, 'kbo'), '--data', data);
run('ingest', path.join(tmp, 'year.ndjson'), '--data', data, '--report', path.join(tmp, 'refused.ndjson'));
const lines = fs.readFileSync(path.join(tmp, 'year.ndjson'), 'utf8').split('\n').flatMap((l) => {
  try { return [JSON.parse(l)]; } catch (_) { return []; }  // the generator writes some malformed lines on purpose
});

const server = spawn(cli, ['serve', '--data', data, '--port', '0', '--portal-sign-in'], { stdio: ['ignore', 'pipe', 'pipe'] });
let serverErr = '';
server.stderr.on('data', (b) => { serverErr += b; });
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverErr}`)), 60000);
  readline.createInterface({ input: server.stdout }).once('line', (line) => {
    clearTimeout(timer);
    const m = /^serving (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    m ? resolve(m[1]) : reject(new Error(`serve's first line: ${line}`));
  });
});
const portal = `${base}/portal/`;

// A real HTTP client, with the tokens the sign-in mints.
async function signIn(claims) {
  const r = await fetch(`${base}/portal/signIn`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(claims) });
  if (r.status !== 200) throw new Error(`sign-in ${JSON.stringify(claims)}: ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}
async function post(token, target, body) {
  const r = await fetch(`${base}${target}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}
async function get(token, target, accept = 'application/json') {
  const r = await fetch(`${base}${target}`, { headers: { Authorization: `Bearer ${token}`, Accept: accept, 'Accept-Language': 'en' } });
  return { status: r.status, body: accept === 'application/json' ? await r.json() : await r.arrayBuffer() };
}

// People of the year: a student with declared work in 2025 at two employers or more, an interim
// student (joint commission 322), an employer with career-break requests.
const ssinsOf = (predicate) => [...new Set(lines.filter(predicate).map((l) => l.worker && l.worker.ssin).filter(Boolean))];
const auditor = await signIn({ role: 'auditor' });
let student = null;
for (const ssin of ssinsOf((l) => l.dimonaIn && l.dimonaIn.features.workerType === 'STU' && l.dimonaIn.features.jointCommissionNumber !== '322')) {
  const b = await get(auditor, `/v1/citizens/${ssin}/studentBalance?year=2025`);
  if (b.status === 200 && b.body.items[0].employers.length >= 2) { student = ssin; break; }
}
const interim = ssinsOf((l) => l.dimonaIn && l.dimonaIn.features.jointCommissionNumber === '322' && l.dimonaIn.features.workerType === 'STU')[0];
const careerEmployer = lines.find((l) => l.careerBreakRequest).employer.enterpriseNumber;
const someEmployer = lines.find((l) => l.dimonaIn && l.employer && l.employer.enterpriseNumber !== careerEmployer).employer.enterpriseNumber;
check(student && interim && careerEmployer && someEmployer, `the year has a student (${!!student}), an interim worker, employers`);

// --- The browser --------------------------------------------------------------------------------
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
const pages = [];
async function newPage(locale) {
  const context = await browser.newContext({ locale, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) page.problems.push(`console: ${m.text()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) page.problems.push(`outside request: ${r.url()}`); });
  await page.goto(portal);
  pages.push(page);
  return page;
}
async function signInThroughForm(page, role, id) {
  await page.waitForSelector('#dev-form:not([hidden])');
  await page.selectOption('#dev-role', role);
  if (role === 'citizen') await page.fill('#dev-ssin', id);
  if (role === 'employer' || role === 'agency') await page.fill('#dev-enterprise', id);
  await page.click('#dev-form button[type=submit]');
  await page.waitForSelector('#view:not([hidden])');
}
const pageToken = (page) => page.evaluate(() => sessionStorage.getItem('dimona-portal-token'));
async function shot(page, name) {
  await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
}
// Labels, names, alt texts, contrast of every visible text against its background (WCAG AA,
// 4.5:1), one h1, the document's language.
async function accessible(page, where) {
  const issues = await page.evaluate(() => {
    const found = [];
    const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (visible(el) && el.labels.length === 0 && !el.getAttribute('aria-label')) found.push(`no label: ${el.outerHTML.slice(0, 80)}`);
    }
    for (const el of document.querySelectorAll('button')) if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label'))) found.push('a button without a name');
    for (const el of document.querySelectorAll('img')) if (!el.getAttribute('alt')) found.push('an image without alt');
    if (document.querySelectorAll('h1').length !== 1) found.push('not one h1');
    if (!document.documentElement.lang) found.push('no lang');
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
        if (getComputedStyle(e).backgroundImage !== 'none') return null;  // a gradient: judged by eye
      }
      return [255, 255, 255];
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !visible(el) || el.closest('[hidden]')) continue;
      const bg = background(el);
      if (!bg) continue;
      const fg = rgb(getComputedStyle(el).color).slice(0, 3);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) found.push(`contrast ${ratio.toFixed(2)} for "${n.textContent.trim().slice(0, 30)}"`);
    }
    return [...new Set(found)];
  });
  check(issues.length === 0, `${where}: accessible${issues.length ? ` (${issues.slice(0, 5).join('; ')})` : ''}`);
}
async function downloaded(page, click) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return fs.readFileSync(await download.path());
}

try {
  // --- The words: every key in every language --------------------------------------------------
  const sandbox = { window: {} };
  vm.runInNewContext(fs.readFileSync(path.join(here, '../../api/portal/i18n.js'), 'utf8'), sandbox);
  const texts = sandbox.window.PORTAL_TEXTS;
  for (const language of ['fr', 'nl']) {
    const missing = Object.keys(texts.en).filter((k) => !(k in texts[language]));
    const extra = Object.keys(texts[language]).filter((k) => !(k in texts.en));
    check(missing.length === 0 && extra.length === 0, `i18n.js: ${language} has the English keys (missing ${missing}, extra ${extra})`);
  }

  // --- A student: balances, calendar, attestation ----------------------------------------------
  const studentPage = await newPage('en-GB');
  equal(await studentPage.locator('html').getAttribute('lang'), 'en', 'an English browser gets English');
  await signInThroughForm(studentPage, 'citizen', student);
  const studentToken = await pageToken(studentPage);
  await studentPage.waitForSelector('#balances .card');
  const balances = (await get(studentToken, `/v1/citizens/${student}/studentBalance`)).body;
  equal(await studentPage.locator('#balances .card').count(), balances.items.length, 'student: a card per year (previous, current, next)');
  for (const b of balances.items) {
    const card = studentPage.locator(`#balances .card[data-year="${b.year}"]`);
    for (const name of ['quota', 'used', 'remaining']) {
      equal(Number(await card.locator(`[data-figure=${name}]`).getAttribute('data-value')), b[name], `student ${b.year}: ${name} as the API`);
    }
    check((await card.locator('[data-figure=remaining]').innerText()).includes(String(b.remaining)), `student ${b.year}: the remaining hours are written`);
    equal(await card.locator('tr[data-employer]').count(), b.employers.length, `student ${b.year}: a row per employer`);
    for (const e of b.employers) check((await card.innerText()).includes(e.employerName), `student ${b.year}: employer ${e.employer} by name (${e.employerName})`);
  }
  const y2025 = balances.items.find((b) => b.year === 2025);
  await studentPage.locator('.card[data-year="2025"] summary').click();
  check((await studentPage.locator('.card[data-year="2025"] details').innerText()).includes(y2025.periods[0].rule), 'student: how the balance is computed shows each period\'s rule');
  await accessible(studentPage, 'student balance');
  await shot(studentPage, 'student-balance');

  // Keyboard: the tabs move with the arrows.
  await studentPage.focus('#tab-tabBalance');
  await studentPage.keyboard.press('ArrowRight');
  equal(await studentPage.locator('#tab-tabCalendar').getAttribute('aria-selected'), 'true', 'keyboard: ArrowRight selects the next tab');
  await studentPage.selectOption('#calendar-year', '2025');
  await studentPage.waitForSelector('#calendar .month');
  const calendar = (await get(studentToken, `/v1/citizens/${student}/calendar?year=2025`)).body.items[0];
  const declared = new Set();
  for (const e of calendar.employers) {
    for (const [first, last] of e.days) {
      for (let d = new Date(`${first}T00:00:00Z`); d <= new Date(`${last}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) declared.add(d.toISOString().slice(0, 10));
    }
  }
  await studentPage.waitForFunction((n) => document.querySelectorAll('#calendar .day[data-date]').length === n, declared.size).catch(() => {});
  equal(await studentPage.locator('#calendar .day[data-date]').count(), declared.size, 'calendar: a coloured cell per declared day');
  check((await studentPage.locator('#calendar-notice').textContent()).includes('30'), 'calendar: the seed\'s notice that the days shown may not be the days agreed');
  const firstDay = [...declared].sort()[0];
  const employerThatDay = calendar.employers.find((e) => e.days.some(([a, b]) => a <= firstDay && firstDay <= b));
  const cell = studentPage.locator(`#calendar .day[data-date="${firstDay}"]`);
  await cell.hover();
  check((await cell.getAttribute('title')).includes(employerThatDay.employerName), `calendar: hovering ${firstDay} names ${employerThatDay.employerName}`);
  check((await cell.textContent()).includes(employerThatDay.employerName), 'calendar: a day\'s text for screen readers names its employer');
  // The declared days are one tab stop; the arrows move between them.
  await cell.focus();
  await studentPage.keyboard.press('ArrowRight');
  equal(await studentPage.evaluate(() => document.activeElement.dataset.date), [...declared].sort()[1], 'calendar: ArrowRight moves to the next declared day');
  equal(await studentPage.locator('#calendar .day[tabindex="0"]').count(), 1, 'calendar: one tab stop');
  await accessible(studentPage, 'student calendar');
  await shot(studentPage, 'student-calendar');

  await studentPage.click('#tab-tabAttestations');
  await studentPage.waitForSelector('#attestation-pdf');
  const pdf = await downloaded(studentPage, () => studentPage.click('#attestation-pdf'));
  equal(pdf.subarray(0, 5).toString(), '%PDF-', 'attestation: the button downloads a PDF');
  const attestations = (await get(studentToken, `/v1/citizens/${student}/attestations`)).body.items;
  const issued = attestations.reduce((a, b) => (a.issuedAt > b.issuedAt ? a : b));  // the one just issued
  await studentPage.waitForSelector(`#attestations td:text-is("${issued.accessCode}")`);
  check(true, `attestation: its access code ${issued.accessCode} is listed`);
  await shot(studentPage, 'student-attestations');

  // The inbox (seed 001: the eBox): the attestation just issued is a message; read, then archived.
  await studentPage.click('#tab-tabInbox');
  const messageRow = studentPage.locator(`#inbox tr[data-message="${issued.attestationId}"]`);
  await messageRow.waitFor();
  await messageRow.locator('button.read').click();
  await studentPage.waitForSelector('#inbox-message p');
  check((await studentPage.locator('#inbox-message').innerText()).includes(issued.accessCode), 'inbox: reading the attestation\'s message shows its access code');
  await accessible(studentPage, 'student inbox');
  await shot(studentPage, 'student-inbox');
  // Archived meanwhile elsewhere (another tab, the API): the page's button is refused, and says why.
  const elsewhere = await post(studentToken, `/v1/citizens/${student}/inbox/${issued.attestationId}/archive`, {});
  equal(elsewhere.body.event.body.result, 'A', 'inbox: the message archived through the API');
  await messageRow.locator('button.archive').click();
  await studentPage.waitForFunction((text) => document.getElementById('inbox-message').textContent.includes(text), texts.en['term.messageArchived']);
  check(true, 'inbox: a refused archiving is said with its reason');
  await studentPage.waitForFunction((id) => !document.querySelector(`#inbox tr[data-message="${id}"]`), issued.attestationId);
  await studentPage.click('#inbox-toggle');
  await studentPage.waitForSelector(`#inbox tr[data-message="${issued.attestationId}"]`);
  equal(await studentPage.locator('#panel h2').innerText(), texts.en.archiveTitle, 'inbox: the toggle shows the archive');
  await studentPage.click('#inbox-toggle');  // back to the inbox for the pages after

  // --- An employer: the access code shows the remaining hours, nothing else ----------------------
  const employerPage = await newPage('fr-BE');
  equal(await employerPage.locator('h1').innerText(), texts.fr.title, 'a French browser gets French');
  await signInThroughForm(employerPage, 'employer', someEmployer);
  const employerToken = await pageToken(employerPage);
  await employerPage.fill('#code', issued.accessCode);
  await employerPage.click('#panel form button[type=submit]');
  await employerPage.waitForSelector('#code-result [data-figure=remaining]');
  const viaCode = (await get(employerToken, `/v1/accessCodes/${issued.accessCode}`)).body;
  equal(Number(await employerPage.locator('#code-result [data-figure=remaining]').getAttribute('data-value')), viaCode.remainingHours, 'employer: the code\'s remaining hours as the API');
  const employerText = await employerPage.locator('body').innerText();
  check(!employerText.includes(student), 'employer: the student\'s SSIN is nowhere on the page');
  for (const e of y2025.employers) check(!employerText.includes(e.employerName), `employer: the student's employer ${e.employer} is nowhere on the page`);
  await accessible(employerPage, 'employer access code');
  await shot(employerPage, 'employer-access-code');
  await employerPage.fill('#code', 'ZZZZZ-ZZZZZ');
  await employerPage.click('#panel form button[type=submit]');
  await employerPage.waitForFunction((text) => document.getElementById('code-result').textContent === text, texts.fr.codeUnknown);
  check(true, 'employer: an unknown code is said to be unknown, in French');
  // What the role may not see: the student's balance, asked with the page's own token, is refused.
  const refused = await employerPage.evaluate(async (target) => {
    const r = await fetch(target, { headers: { Authorization: `Bearer ${sessionStorage.getItem('dimona-portal-token')}` } });
    return r.status;
  }, `/v1/citizens/${student}/studentBalance`);
  equal(refused, 403, 'employer: the API refuses the student\'s balance to the page');

  await employerPage.click('#tab-tabRequests');
  await employerPage.waitForSelector('#panel form');
  const before = (await get(employerToken, '/v1/dataAccessRequests')).body.total;
  await employerPage.click('#panel form button[type=submit]');
  await employerPage.waitForFunction((n) => document.querySelectorAll('#requests tr[data-request]').length === n, before + 1).catch(() => {});
  const requests = (await get(employerToken, '/v1/dataAccessRequests')).body;
  equal(requests.total, before + 1, 'employer: the form sent a data-access request');
  equal(await employerPage.locator('#requests tr[data-request]').count(), requests.total, 'employer: a row per data-access request');
  await employerPage.locator('#requests tr[data-request] button').first().click();
  await employerPage.waitForFunction(() => { const img = document.querySelector('#qr img'); return img && img.complete && img.naturalWidth > 0; });
  check(true, 'employer: the request\'s QR code is shown');
  await accessible(employerPage, 'employer requests');
  await shot(employerPage, 'employer-requests');

  // The student sees who looked: the employer, through the access code.
  await studentPage.click('#tab-tabConsultations');
  await studentPage.waitForSelector('#consultations table, #consultations p');
  const consultations = (await get(studentToken, `/v1/citizens/${student}/consultations`)).body;
  const byEmployer = consultations.items.find((c) => c.by === someEmployer && c.channel === 'accessCode');
  check(byEmployer !== undefined, 'student: the API lists the employer\'s consultation');
  check((await studentPage.locator('#consultations').innerText()).includes(someEmployer), 'student: who consulted my data names the employer');
  await shot(studentPage, 'student-consultations');

  // --- Consent (seed 003): the employer's link, the citizen's grant, the data it gives ------------
  await employerPage.click('#tab-tabRequests');
  await employerPage.selectOption('#request-channel', 'LINK');
  await employerPage.click('#panel form button[type=submit]');
  await employerPage.waitForSelector('#request-link');
  const link = await employerPage.locator('#request-link').getAttribute('href');
  check(/^http:\/\/127\.0\.0\.1:\d+\/consent\?token=[0-9A-Z]{20}$/.test(link), `employer: a LINK request gives the citizen's link (${link})`);
  await studentPage.goto(link);  // the citizen opens it, signed in in this tab
  await studentPage.waitForSelector('#consent-token');
  equal(await studentPage.locator('#consent-token').inputValue(), new URL(link).searchParams.get('token'), 'citizen: the link opens the consents with its token');
  equal(studentPage.url(), portal, 'citizen: the token is taken out of the address bar');
  await studentPage.click('#consent-grant');
  await studentPage.waitForSelector('#consents tr[data-status=GRANTED]');
  check(true, 'citizen: the grant is listed as granted');
  await accessible(studentPage, 'citizen consents');
  await shot(studentPage, 'student-consents');
  await employerPage.click('#tab-tabAccessCode');
  await employerPage.click('#tab-tabRequests');
  await employerPage.waitForSelector('#requests tr[data-status=GRANTED] button.read');
  await employerPage.locator('#requests tr[data-status=GRANTED] button.read').first().click();
  await employerPage.waitForSelector('#consented-data [data-figure=remaining]');
  const consented = (await get(employerToken, `/v1/citizens/${student}/consentedData?scope=STUDENT_BALANCE`)).body;
  equal(Number(await employerPage.locator('#consented-data [data-figure=remaining]').getAttribute('data-value')), consented.remainingHours,
        'employer: the consented remaining hours as the API');

  // --- The career-break overview of an employer that has requests --------------------------------
  const careerPage = await newPage('en-GB');
  await signInThroughForm(careerPage, 'employer', careerEmployer);
  await careerPage.click('#tab-tabCareerBreaks');
  const careerToken = await pageToken(careerPage);
  const overview = (await get(careerToken, '/v1/careerBreakRequests')).body;
  await careerPage.waitForSelector('#career-breaks tr[data-ticket], #career-breaks p');
  equal(await careerPage.locator('#career-breaks tr[data-ticket]').count(), overview.requests.length + overview.notifications.length, 'employer: a row per career-break request and notification');
  await accessible(careerPage, 'career breaks');
  await shot(careerPage, 'employer-career-breaks');

  // --- The employee's side of a career break (DOMAIN §5, French): their part, then ONEM's decision in the eBox
  const breakWorker = lines.find((l) => l.careerBreakRequest).worker.ssin;
  const submitted = await post(careerToken, '/v1/actions', { employer: { enterpriseNumber: careerEmployer }, worker: { ssin: breakWorker },
    careerBreakRequest: { leaveKind: 'PARENTAL_LEAVE', fraction: '1/2', startDate: '2027-01-01', endDate: '2027-06-30', regimeBefore: 1, regimeDuring: 0.5 } });
  equal(submitted.status === 201 && submitted.body.event.body.result, 'A', 'employer: a career-break request for the employee');
  const ticket = submitted.body.actionId;
  const workerPage = await newPage('fr-BE');
  await signInThroughForm(workerPage, 'citizen', breakWorker);
  const workerToken = await pageToken(workerPage);
  await workerPage.click('#tab-tabMyCareerBreaks');
  const mine = (await get(workerToken, `/v1/citizens/${breakWorker}/careerBreakRequests`)).body;
  await workerPage.waitForSelector(`#my-career-breaks tr[data-ticket="${ticket}"][data-status=SUBMITTED]`);
  equal(await workerPage.locator('#my-career-breaks tr[data-ticket]').count(), mine.requests.length, 'employee: a row per career-break request, as the API');
  await accessible(workerPage, 'employee career breaks');
  await workerPage.locator(`#my-career-breaks tr[data-ticket="${ticket}"] button.complete`).click();
  await workerPage.waitForSelector(`#my-career-breaks tr[data-ticket="${ticket}"][data-status=EMPLOYEE_COMPLETED]`);
  equal(await workerPage.locator('#career-answer').innerText(), texts.fr.partCompleted.replace('{ticket}', ticket), 'employee: completing their part from the page, said');
  await shot(workerPage, 'employee-career-breaks');
  const declarant = await signIn({ role: 'declarant' });
  const decided = await post(declarant, '/v1/actions', { onemDecision: { ticket, decision: 'GRANTED' } });
  equal(decided.status === 201 && decided.body.event.body.result, 'A', 'ONEM: the decision on the request');
  await workerPage.click('#tab-tabInbox');
  const decisionRow = workerPage.locator(`#inbox tr[data-message="${ticket}"][data-kind=careerBreakDecision]`);
  await decisionRow.waitFor();
  await decisionRow.locator('button.read').click();
  await workerPage.waitForSelector('#inbox-message p[data-decision=GRANTED]');
  check((await workerPage.locator('#inbox-message').innerText()).includes(texts.fr['term.GRANTED']), 'employee: ONEM\'s decision read in the eBox, in French');
  await accessible(workerPage, 'employee inbox');
  await shot(workerPage, 'employee-inbox');
  await decisionRow.locator('button.archive').click();
  await workerPage.waitForFunction((id) => !document.querySelector(`#inbox tr[data-message="${id}"]`), ticket);
  const workerArchive = (await get(workerToken, `/v1/citizens/${breakWorker}/inbox?archived=true`)).body;
  equal(workerArchive.items.some((m) => m.messageId === ticket), true, 'employee: the decision archived from the page is in the API\'s archive');

  // --- An interim worker: relations, filters, PDF (Dutch) ----------------------------------------
  const interimPage = await newPage('nl-BE');
  equal(await interimPage.locator('html').getAttribute('lang'), 'nl', 'a Dutch browser gets Dutch');
  await signInThroughForm(interimPage, 'citizen', interim);
  const interimToken = await pageToken(interimPage);
  await interimPage.click('#tab-tabInterim');
  const relations = (await get(interimToken, `/v1/citizens/${interim}/interimRelations`)).body;
  await interimPage.waitForSelector('#interim tr[data-relation], #interim p');
  equal(await interimPage.locator('#interim tr[data-relation]').count(), relations.total, 'interim: a row per relation');
  const company = relations.items[0].userCompany;
  await interimPage.fill('#interim-user', company);
  await interimPage.click('#panel form button[type=submit]');
  const filtered = (await get(interimToken, `/v1/citizens/${interim}/interimRelations?userCompany=${encodeURIComponent(company)}`)).body;
  await interimPage.waitForFunction((n) => document.querySelectorAll('#interim tr[data-relation]').length === n, filtered.total).catch(() => {});
  equal(await interimPage.locator('#interim tr[data-relation]').count(), filtered.total, `interim: filtered by user company ${company}`);
  const interimPdf = await downloaded(interimPage, () => interimPage.click('#interim-pdf'));
  equal(interimPdf.subarray(0, 5).toString(), '%PDF-', 'interim: the PDF button downloads a PDF');
  // Seed 002: the overview, with these filters, to the eBox, then by e-mail; the eBox's message
  // carries the relations as they stood when sent.
  await interimPage.click('#overview-submit');
  await interimPage.waitForFunction((text) => document.getElementById('overview-sent').textContent === text, texts.nl.overviewSent);
  check(true, 'interim: the overview sent to the eBox is said so');
  await interimPage.selectOption('#overview-channel', 'EMAIL');
  check(await interimPage.locator('#overview-email').isVisible(), 'interim: the address is asked for an e-mail');
  await interimPage.fill('#overview-email', 'werknemer@example.be');
  await interimPage.click('#overview-submit');
  await interimPage.waitForFunction((text) => document.getElementById('overview-sent').textContent === text,
    texts.nl.overviewMailed.replace('{email}', 'werknemer@example.be'));
  check(true, 'interim: the overview sent by e-mail is said so');
  await accessible(interimPage, 'interim relations');
  await shot(interimPage, 'interim-relations');
  await interimPage.click('#tab-tabInbox');
  const overviewRow = interimPage.locator('#inbox tr[data-kind=interimOverview]');
  await overviewRow.waitFor();
  equal(await overviewRow.count(), 1, 'interim: one overview in the eBox (the e-mail is the outbox\'s)');
  await overviewRow.locator('button.read').click();
  await interimPage.waitForSelector('#inbox-message p[data-relations]');
  equal(Number(await interimPage.locator('#inbox-message p[data-relations]').getAttribute('data-relations')), filtered.total,
    'interim: the eBox message has the filtered relations');
  const overviewPdf = await downloaded(interimPage, () => interimPage.click('#overview-pdf'));
  equal(overviewPdf.subarray(0, 5).toString(), '%PDF-', 'interim: the message\'s document downloads as a PDF');
  await accessible(interimPage, 'interim overview in the inbox');
  await interimPage.click('#tab-tabInterim');
  // The language switch, kept across a reload.
  await interimPage.selectOption('#language', 'en');
  equal(await interimPage.locator('h1').innerText(), texts.en.title, 'the language switch changes the words');
  await interimPage.reload();
  equal(await interimPage.locator('html').getAttribute('lang'), 'en', 'the chosen language is kept');

  // --- An auditor: the citizen's history and the asOf slider --------------------------------------
  const auditorPage = await newPage('en-GB');
  await signInThroughForm(auditorPage, 'auditor');
  const auditorToken = await pageToken(auditorPage);
  const history = (await get(auditorToken, `/v1/audit/citizens/${student}/events?pageSize=500`)).body;
  await auditorPage.fill('#history-ssin', student);
  await auditorPage.click('#panel form button[type=submit]');
  await auditorPage.waitForSelector('#timeline li');
  // Every auditor read is recorded before it is answered (who looked): the page's read came after
  // the test's, so it holds the test's record too.
  equal(await auditorPage.locator('#timeline li').count(), history.total + 1, 'auditor: the timeline has every event (and the test\'s own recorded read)');
  await auditorPage.focus('#as-of');
  await auditorPage.keyboard.press('Home');
  const firstAt = history.items[0].recordedAt;
  await auditorPage.waitForSelector(`#state-at .cards[data-as-of="${firstAt}"]`);
  const thenBalances = (await get(auditorToken, `/v1/citizens/${student}/studentBalance?asOf=${firstAt}`)).body.items;
  for (const b of thenBalances) {
    equal(Number(await auditorPage.locator(`#state-at .card[data-year="${b.year}"] [data-figure=remaining]`).getAttribute('data-value')), b.remaining,
          `auditor: the ${b.year} balance as of ${firstAt} as the API`);
  }
  check(!(await auditorPage.locator('#history').innerText()).includes('null'), 'auditor: no "null" written');
  const thenHash = (await get(auditorToken, `/v1/audit/stateHash?asOf=${firstAt}`)).body.stateHash;
  equal(await auditorPage.locator('#state-hash').getAttribute('data-hash'), thenHash, 'auditor: the state hash as of that instant as the API');
  equal(await auditorPage.locator('#timeline li.after').count(), history.total, 'auditor: the events after the instant are marked');
  await accessible(auditorPage, 'auditor history');
  await shot(auditorPage, 'auditor-history');

  // --- A token the server does not trust: the page says so ---------------------------------------
  const forgedPage = await newPage('en-GB');
  const [head, payload, signature] = studentToken.split('.');
  await forgedPage.fill('#token-input', `${head}.${payload}.${signature.slice(0, -4)}AAAA`);
  await forgedPage.click('#token-form button[type=submit]');
  await forgedPage.waitForSelector('#alert:not([hidden])');
  check((await forgedPage.locator('#alert').innerText()).includes('Invalid access token'), 'a forged token: the 401 problem is shown');
  const badSignIn = await newPage('en-GB');
  await badSignIn.waitForSelector('#dev-form:not([hidden])');
  await badSignIn.fill('#dev-ssin', '12345678901');
  await badSignIn.click('#dev-form button[type=submit]');
  await badSignIn.waitForSelector('#alert:not([hidden])');
  check((await badSignIn.locator('#alert').innerText()).includes('ssin'), 'a sign-in with an invalid SSIN: the 400 names it');

  for (const page of [studentPage, employerPage, careerPage, workerPage, interimPage, auditorPage, forgedPage, badSignIn]) {
    check(page.problems.length === 0, `${page.url()}: no script error, CSP refusal or outside request${page.problems.length ? ` (${page.problems.join('; ')})` : ''}`);
  }
} catch (error) {
  failures.push(`aborted: ${error.stack || error}`);
  console.log(`FAIL aborted: ${error.stack || error}`);
  for (const [i, page] of pages.entries()) await shot(page, `failed-page-${i}`).catch(() => {});  // what each page showed
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failures.length ? `\n${failures.length} failure(s):\n${failures.join('\n')}` : `\nevery check passed; screenshots in ${out}`);
process.exit(failures.length ? 1 : 0);
