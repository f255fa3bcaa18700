// Drives the console in headless Chromium: sign-in (a wrong password first), a citizen
// found by a name typed without diacritics, the citizen's page, English, a 375 px wide
// screen, keyboard focus, labels on every field, no console errors, sign-out.
// With a SESSION_ID, also today's enrollment session: the calendar, a check-in by queue
// number and a call to the next person.
// With a CAMPAIGN_ID, a station's TOKEN and an INTAKE body, the campaign dashboard (the
// ministry's provinces, then Hà Tĩnh's units, the map) and its change when an application
// is filed.
// Usage: node console.mjs BASE_URL USERNAME PASSWORD OUT_DIR [SESSION_ID [CAMPAIGN_ID TOKEN INTAKE]]
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const [base, username, password, out, session, campaign, token, intake] = process.argv.slice(2);
if (!base || !username || !password || !out) {
  console.error('usage: node console.mjs BASE_URL USERNAME PASSWORD OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };
// axe-core (npm, pinned by package-lock.json) checks each page against WCAG 2.1 AA.
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const accessible = async (page, where) => {
  // Evaluated by the browser's debugger protocol, which the console's CSP does not stop.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(violations.length === 0, `${where}: accessibility: ${violations.join('; ')}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    // A synthetic camera that needs no permission prompt, for the webcam portrait.
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // A refusal the test provokes on purpose is answered 422, which the browser logs.
  let refusalExpected = false;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (refusalExpected && m.text().includes('status of 422')) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Every visible field has a label; the page fits 375 px when asked.
  const labelled = async (where) => {
    const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea',
      (fields) => fields.filter((f) => f.labels.length === 0).map((f) => f.name || f.id));
    check(unlabelled.length === 0, `${where}: fields without a label: ${unlabelled.join(', ')}`);
  };
  const shot = (name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
  // Keyboard: Tab from the top reaches the page's own controls, each one visible.
  const keyboard = async (where) => {
    const focusable = await page.$$eval('main a[href], main input:not([type=hidden]), main select, main button',
      (all) => all.length);
    if (focusable === 0) return;
    await page.evaluate(() => document.activeElement?.blur());
    let inMain = false;
    for (let i = 0; i < 60 && !inMain; i += 1) {
      await page.keyboard.press('Tab');
      const seen = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return { visible: true, inMain: false };
        const box = el.getBoundingClientRect();
        return { visible: box.width > 0 && box.height > 0, inMain: !!el.closest('main') };
      });
      check(seen.visible, `${where}: keyboard focus went to something invisible`);
      inMain = seen.inMain;
    }
    check(inMain, `${where}: the page's own controls are reachable by keyboard`);
  };

  await page.goto(`${base}/`);
  check(page.url().endsWith('/dang-nhap'), `/ should lead to sign-in, not ${page.url()}`);
  check((await page.getAttribute('html', 'lang')) === 'vi', 'the console is Vietnamese by default');
  await labelled('sign-in');
  await shot('01-dang-nhap');

  await page.fill('#username', username);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  check((await page.textContent('[role=alert]'))?.includes('Sai tên đăng nhập'), 'a wrong password is said so');

  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/(tra-cuu|doi-mat-khau)/);
  if (page.url().includes('/doi-mat-khau')) {
    await labelled('password change');
    await page.fill('#current', password);
    await page.fill('#new', `${password}-renewed`);
    await page.fill('#confirm', `${password}-renewed`);
    await page.click('button.primary');
    await page.waitForURL(/\/tra-cuu/);
  }
  await labelled('look-up');

  // Keyboard: Tab from the top reaches the search field and every stop is visible.
  await page.keyboard.press('Tab');
  let reached = false;
  for (let i = 0; i < 25 && !reached; i += 1) {
    reached = await page.evaluate(() => document.activeElement?.id === 'q');
    if (!reached) await page.keyboard.press('Tab');
  }
  check(reached, 'the search field is reachable by keyboard');

  await page.fill('#q', 'nguyen van an');
  await page.keyboard.press('Enter');
  await page.waitForSelector('table');
  await shot('02-tra-cuu');
  const link = page.getByRole('link', { name: 'Nguyễn Văn An' });
  check(await link.count() === 1, 'a name typed without diacritics finds Nguyễn Văn An');
  await link.click();
  await page.waitForURL(/\/cong-dan\/042090001234/);
  check((await page.textContent('h1')) === 'Nguyễn Văn An', 'the citizen page shows the name');
  check((await page.textContent('main')).includes('HK001'), 'the citizen page shows the household');
  check((await page.textContent('main')).includes('nam-ha.csv'), 'the citizen page shows where the record came from');
  check((await page.textContent('main')).includes('Số 5, Hà Huy Tập, Phường Nam Hà'), 'the residence history names the address');
  await shot('03-cong-dan');

  if (session) {
    await page.click('header >> text=Lịch làm thủ tục');
    await page.waitForURL(/\/lich/);
    await page.click(`a[href="/lich/${session}"]`);
    await page.waitForURL(new RegExp(`/lich/${session}`));
    await labelled('session');
    await page.fill('#queue_number', '1');
    await page.click('form:has(#queue_number) button');
    await page.waitForSelector('[role=status]');
    check((await page.textContent('[role=status]')).includes('Đã xác nhận đến'), 'check-in by queue number');
    check((await page.textContent('#waiting')).includes('Số 1'), 'the checked-in person waits in the queue');
    await page.click('text=Gọi người tiếp theo');
    await page.waitForSelector('[role=status]');
    check((await page.textContent('[role=status]')).includes('Mời vào'), 'the next person is called');
    check((await page.textContent('main')).includes('Đang làm thủ tục'), 'the called person is being served');
    await shot('06-ca-lam-viec');
  }

  if (campaign) {
    await page.click('header >> text=Chiến dịch');
    await page.click(`a[href="/chien-dich/${campaign}"]`);
    await page.waitForURL(new RegExp(`/chien-dich/${campaign}`));
    await page.click('text=Công an tỉnh Hà Tĩnh');
    await page.waitForURL(/unit=CAT-42/);
    await labelled('dashboard');
    const received = async () => (await page.textContent('#summary dd:nth-of-type(2)')).trim();
    check((await received()).startsWith('0 / 1.000'), `Hà Tĩnh starts at 0 of 1.000, not ${await received()}`);
    const dots = await page.locator('svg.map circle').count();
    // PC06 has no territory of its own: the map places the 13 district police.
    check(dots === 13, `the map places Hà Tĩnh's 13 districts, not ${dots}`);
    check(await page.locator('table tbody tr').count() === 14, 'the ranking lists the 14 units');
    check(await page.locator('svg.map text').count() === 13, 'every district on the map is named');
    check(await page.locator('svg.chart text').count() >= 4, 'the chart has dates on its axis');
    for (const format of ['pdf', 'xlsx']) {
      const href = await page.getAttribute(`#reports a[href$="format=${format}"]`, 'href');
      const report = await page.request.get(new URL(href, base).toString());
      const magic = (await report.body()).subarray(0, 4).toString();
      check(report.status() === 200 && magic === (format === 'pdf' ? '%PDF' : 'PK\u0003\u0004'),
        `the daily report downloads as ${format}`);
    }
    await shot('07-chien-dich');
    const filed = await fetch(`${base}/api/v1/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: readFileSync(intake),
    });
    check(filed.status === 201, `the station files an application (${filed.status})`);
    await page.reload();
    check((await received()).startsWith('1 / 1.000'), `the dashboard counts it: ${await received()}`);
    await shot('08-chien-dich-sau');
  }

  await page.click('header >> text=Hồ sơ dân cư chờ duyệt');
  await page.waitForURL(/\/ho-so-cho-duyet/);
  await labelled('review');
  check((await page.textContent('main')).includes('Lê Văn Em'), 'the staged record waits for review');
  await shot('10-cho-duyet');

  // Administration: an officer added (a one-time password to hand over), the audit trail
  // filtered to the citizen reads this run made, and the chain verified.
  await page.click('header >> text=Cán bộ');
  await page.waitForURL(/\/quan-tri\/can-bo/);
  await labelled('officers');
  await page.fill('#new_username', 'thu.nt');
  await page.fill('#new_full_name', 'Nguyễn Thị Thu');
  await page.fill('#new_unit', 'CAX-18073');
  await page.selectOption('#new_role', 'commune_officer');
  await page.click('form:has(#new_username) button.primary');
  await page.waitForSelector('[role=status]');
  check((await page.textContent('[role=status]')).includes('Mật khẩu dùng một lần của thu.nt'), 'a new officer gets a one-time password');
  check((await page.textContent('table')).includes('thu.nt'), 'the new officer is listed');
  check(!page.url().includes('msg='), 'the one-time password is not in the address bar');
  await shot('14-can-bo');
  await page.click('header >> text=Nhật ký truy cập');
  await labelled('audit');
  await page.fill('#action', 'citizen.read');
  await page.click('form:has(#action) button');
  await page.waitForURL(/action=citizen.read/);
  const reads = await page.locator('tbody tr').count();
  check(reads > 0, 'the citizen page reads are in the audit trail');
  await page.click('text=Kiểm tra tính toàn vẹn');
  await page.waitForSelector('[role=status]');
  check((await page.textContent('[role=status]')).includes('toàn vẹn'), 'the audit chain holds');
  await shot('09-nhat-ky');
  await page.click('header >> text=Đơn vị công an');
  await page.click('#children >> text=Công an tỉnh Hà Tĩnh');
  await page.waitForURL(/unit=CAT-42/);
  const below = await page.locator('#children li').count();
  check(below === 14, `Hà Tĩnh's police has 14 units under it, not ${below}`);

  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, `at 375 px the page is ${width} px wide`);
  await shot('04-cong-dan-375');

  await page.click('text=English');
  check((await page.getAttribute('html', 'lang')) === 'en', 'English on request');
  check((await page.textContent('header')).includes('Look up a citizen'), 'the English words');
  await page.goto(`${base}/tra-cuu`);
  check((await page.getAttribute('html', 'lang')) === 'en', 'the language is remembered');
  await shot('05-english');

  await page.click('header button[type=submit]');
  await page.waitForURL(/\/dang-nhap/);
  await page.goto(`${base}/tra-cuu`);
  check(page.url().endsWith('/dang-nhap'), 'after signing out the console asks to sign in');

  // A station officer files Cường's first card on the intake page, prints uploaded.
  if (process.env.STATION_USER) {
    await page.goto(`${base}/dang-nhap?lang=vi`);
    await page.fill('#username', process.env.STATION_USER);
    await page.fill('#password', process.env.STATION_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/tra-cuu/);
    await page.click('header >> text=Tiếp nhận hồ sơ');
    await page.fill('#id', '042092005555');
    await page.click('form[role=search] button');
    await page.waitForSelector('#citizen-name');
    check((await page.textContent('#citizen-name')) === 'Nguyễn Văn Cường', 'the intake page finds the citizen');
    await labelled('intake');
    await page.selectOption('#kind', 'first_issuance');
    // The portrait from the (synthetic) webcam: open it, then take the picture.
    await page.click('#portrait_webcam');
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return v && !v.hidden && v.videoWidth > 0;
    });
    await page.click('#portrait_webcam');
    await page.waitForFunction(() => document.querySelector('#portrait').files.length === 1);
    for (const finger of ['r_thumb', 'r_index', 'r_middle', 'r_ring', 'r_little', 'l_thumb', 'l_index', 'l_middle', 'l_ring']) {
      await page.setInputFiles(`#finger_${finger}`, `${out}/finger.jpg`);
    }
    for (const flat of ['right_four', 'left_four', 'thumbs']) {
      await page.setInputFiles(`#flat_${flat}`, `${out}/flat.jpg`);
    }
    await page.fill('#station', 'Điểm thu nhận số 2');
    // The left little finger has neither a print nor a reason: refused, and nothing the
    // officer chose is lost.
    refusalExpected = true;
    await page.click('form[enctype] button.primary');
    await page.waitForSelector('#intake-error');
    refusalExpected = false;
    check((await page.textContent('#intake-error')).includes('l_little'), 'the refusal names the finger');
    check(await page.evaluate(() => document.querySelector('#portrait').files.length === 1
      && document.querySelector('#finger_r_thumb').files.length === 1
      && document.querySelector('#flat_thumbs').files.length === 1), 'a refused filing keeps every image');
    check((await page.inputValue('#station')) === 'Điểm thu nhận số 2', 'a refused filing keeps the fields');
    // The left little finger cannot be printed.
    await page.selectOption('#missing_l_little', 'injured');
    await page.click('form[enctype] button.primary');
    await page.waitForSelector('#receipt');
    const receipt = (await page.textContent('#receipt')).trim();
    check(/^CAX-18073-\d{8}-\d{5}/.test(receipt), `a receipt number for the filing, not ${receipt}`);
    await shot('11-tiep-nhan');
    const href = await page.getAttribute('a[href$="appointment-slip"]', 'href');
    const slip = await page.request.get(new URL(href, base).toString());
    check(slip.status() === 200 && (await slip.body()).subarray(0, 4).toString() === '%PDF', 'the appointment slip prints');

    // The district verifies it from its queue, the province approves it from its own.
    const signInAs = async (user) => {
      await page.click('header button[type=submit]');
      await page.waitForURL(/\/dang-nhap/);
      await page.fill('#username', user);
      await page.fill('#password', process.env.STATION_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/tra-cuu/);
    };
    const stepFromQueue = async (state, action, done) => {
      await page.goto(`${base}/ho-so?state=${state}`);
      await labelled(`queue ${state}`);
      const row = page.locator('tr', { hasText: receipt });
      check(await row.count() === 1, `${receipt} is in the ${state} queue`);
      await row.locator('input[type=checkbox]').check();
      await page.selectOption('#action', action);
      await page.click('form[method=post] button.primary');
      await page.waitForSelector('[role=status]');
      check((await page.textContent('[role=status]')).includes('Đã xử lý: 1'), `${action} from the queue`);
      await page.goto(`${base}/ho-so?state=${done}`);
      check(await page.locator('tr', { hasText: receipt }).count() === 1, `${receipt} is now ${done}`);
    };
    await signInAs(process.env.DISTRICT_USER);
    await stepFromQueue('received', 'verify', 'verified');
    await shot('12-ho-so');
    await signInAs(process.env.PROVINCE_USER);
    await stepFromQueue('verified', 'approve', 'approved');

    // The production centre makes Hà Tĩnh's approved cards and looks at Cường's proof.
    await signInAs(process.env.PRODUCTION_USER);
    await page.click('header >> text=Sản xuất thẻ');
    await labelled('production');
    await page.fill('#province', '42');
    await page.click('form:has(#province) button');
    await page.waitForSelector('#batch');
    await page.click('button[value=produce]');
    await page.waitForSelector('[role=status]');
    check((await page.textContent('[role=status]')).startsWith('Đã xử lý: 1'), 'the batch is produced');
    await page.click('a[href="/the/042092005555"]');
    await page.waitForURL(/\/the\/042092005555/);
    const drawn = await page.$$eval('img.card', (images) => images.map((i) => i.complete && i.naturalWidth > 0));
    check(drawn.length === 2 && drawn.every(Boolean), 'both faces of the card proof are drawn');
    await shot('13-the');
    await signInAs(process.env.PROVINCE_USER);
    await page.goto(`${base}/cong-dan/042092005555`);
    check((await page.textContent('#cards')).includes('Đang sản xuất'), "the citizen's page lists the card being made");

    // Every page at a phone's width: labels, no sideways scrolling, a screenshot each.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const [name, path] of [['tra-cuu', '/tra-cuu?q=nguyen'], ['tiep-nhan', '/tiep-nhan?id=042090001234'],
      ['ho-so', '/ho-so?state=approved'], ['cho-duyet', '/ho-so-cho-duyet'], ['lich', '/lich'],
      ['lich-ca', `/lich/${session}`], ['chien-dich', '/chien-dich'],
      ['bang-dieu-khien', `/chien-dich/${campaign}?unit=CAT-42`], ['doi-mat-khau', '/doi-mat-khau'],
      ['san-xuat', '/san-xuat'], ['the', '/the/042092005555'], ['don-vi', '/quan-tri/don-vi?unit=CAT-42'],
      ['dan-cu', '/dan-cu'], ['cong-dan', '/cong-dan/042092005555'], ['ke-hoach', '/lich/ke-hoach'],
      ['dia-ban', '/dia-ban-dac-biet'], ['dat-lich', '/dat-lich']]) {
      await page.goto(`${base}${path}`);
      await labelled(name);
      await keyboard(name);
      await accessible(page, name);
      // In Vietnamese, no code word reaches the officer (`in_production`, `commune_officer`).
      const text = await page.evaluate(() => (document.querySelector('main') || document.body).innerText);
      const codes = text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) || [];
      check(codes.length === 0, `${name}: code words on a Vietnamese page: ${[...new Set(codes)].join(', ')}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 375, `${name} at 375 px is ${wide} px wide`);
      await shot(`375-${name}`);
    }
  }
} finally {
  await browser.close();
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`console: every check passed; screenshots in ${out}`);
