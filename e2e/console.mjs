// Every officer's whole job through the console alone, in headless Chromium: no call to
// the API or the command line. The administrator signs in (a wrong password first), finds
// a citizen, adds the four officers (each changes the one-time password at first sign-in),
// reads the audit trail. The province opens a campaign and shares its quota; the district
// registers a machine and a site, holds today's session, invites households, checks a
// person in and calls them, and plans and accepts next week's sessions; the commune files
// Cường's first card (a refused filing keeps every image); the district asks for a
// correction from the application page with the portrait before it, the commune resubmits,
// the district verifies, the province approves, the production centre makes and sends the
// card, the station receives it and hands it over; the dashboard counts the filing. Every
// page then at 1366 and 375 px: labels, keyboard, axe-core, no code word, no sideways
// scrolling, a screenshot each.
// Usage: node console.mjs BASE_URL ADMIN_PASSWORD OUT_DIR
import { chromium } from 'playwright-core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';

const [base, password, out] = process.argv.slice(2);
const username = 'admin';
if (!base || !password || !out) {
  console.error('usage: node console.mjs BASE_URL ADMIN_PASSWORD OUT_DIR');
  process.exit(2);
}
// The password every new officer chooses at first sign-in.
const OFFICER_PASSWORD = 'Sông Lam chảy qua Hà Tĩnh 2021';
const day = (offset) => {
  const d = new Date(Date.now() + 7 * 3600 * 1000 + offset * 86400 * 1000);
  return d.toISOString().slice(0, 10);
};
mkdirSync(out, { recursive: true });
const englishPhrases = JSON.parse(readFileSync(`${out}/english.json`, 'utf8'));

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
    '--disable-component-update', '--disable-sync', '--no-first-run', '--lang=vi-VN',
    // A synthetic camera that needs no permission prompt, for the webcam portrait.
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
try {
  // A Vietnamese browser: dates and times in the fields as an officer's machine shows them.
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
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

  await page.click('header >> text=Hồ sơ dân cư chờ duyệt');
  await page.waitForURL(/\/ho-so-cho-duyet/);
  await labelled('review');
  await accessible(page, 'review');
  check((await page.textContent('main')).includes('Lê Văn Em'), 'the staged record waits for review');
  await shot('10-cho-duyet');

  // The administrator adds the four officers; each one-time password is shown once.
  const otp = {};
  const addOfficer = async (user, fullName, unit, role) => {
    await page.goto(`${base}/quan-tri/can-bo`);
    await page.fill('#new_username', user);
    await page.fill('#new_full_name', fullName);
    await page.fill('#new_unit', unit);
    await page.selectOption('#new_role', role);
    await page.click('form:has(#new_username) button.primary');
    await page.waitForSelector('[role=status]');
    const said = await page.textContent('[role=status]');
    check(said.includes(`Mật khẩu dùng một lần của ${user}`), `${user} gets a one-time password: ${said}`);
    otp[user] = said.split(': ').pop().trim();
  };
  await page.click('header >> text=Cán bộ');
  await page.waitForURL(/\/quan-tri\/can-bo/);
  await labelled('officers');
  await accessible(page, 'officers');
  await addOfficer('hong.nt', 'Nguyễn Thị Hồng', 'CAX-18073', 'commune_officer');
  check(!page.url().includes('msg='), 'the one-time password is not in the address bar');
  await shot('14-can-bo');
  await addOfficer('lan.pt', 'Phạm Thị Lan', 'CAH-436', 'district_officer');
  await addOfficer('minh.lv', 'Lê Văn Minh', 'PC06-42', 'province_officer');
  await addOfficer('tam.nv', 'Nguyễn Văn Tâm', 'C06-TTCC', 'production_operator');
  check((await page.textContent('table')).includes('tam.nv'), 'the new officers are listed');

  await page.click('header >> text=Nhật ký truy cập');
  await labelled('audit');
  await accessible(page, 'audit');
  await page.fill('#action', 'citizen.read');
  await page.click('form:has(#action) button');
  await page.waitForURL(/action=citizen.read/);
  check(await page.locator('tbody tr').count() > 0, 'the citizen page reads are in the audit trail');
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
  await shot('04-don-vi-375');
  await page.setViewportSize({ width: 1366, height: 800 });

  await page.click('text=English');
  check((await page.getAttribute('html', 'lang')) === 'en', 'English on request');
  check((await page.textContent('header')).includes('Look up a citizen'), 'the English words');
  await page.goto(`${base}/tra-cuu`);
  check((await page.getAttribute('html', 'lang')) === 'en', 'the language is remembered');
  await shot('05-english');
  await page.goto(`${base}/tra-cuu?lang=vi`);

  await page.click('header button[type=submit]');
  await page.waitForURL(/\/dang-nhap/);
  await page.goto(`${base}/tra-cuu`);
  check(page.url().endsWith('/dang-nhap'), 'after signing out the console asks to sign in');

  // Each officer signs in; the first time, the one-time password is changed.
  const changed = new Set();
  const signInAs = async (user) => {
    if (!page.url().endsWith('/dang-nhap')) {
      // The page's images load before its session ends.
      await page.waitForLoadState('networkidle');
      // A citizens' page (booking) has no officer to sign out.
      if (await page.locator('header button[type=submit]').count() === 0) {
        await page.goto(`${base}/tra-cuu`);
      }
      await page.click('header button[type=submit]');
      await page.waitForURL(/\/dang-nhap/);
    }
    await page.fill('#username', user);
    await page.fill('#password', changed.has(user) ? OFFICER_PASSWORD : otp[user]);
    await page.click('button[type=submit]');
    await page.waitForLoadState();
    if (!/\/(tra-cuu|doi-mat-khau)/.test(page.url())) {
      await shot(`failed-sign-in-${user}`);
      throw new Error(`${user} cannot sign in: ${await page.textContent('main')}`);
    }
    if (page.url().includes('/doi-mat-khau')) {
      await page.fill('#current', otp[user]);
      await page.fill('#new', OFFICER_PASSWORD);
      await page.fill('#confirm', OFFICER_PASSWORD);
      await page.click('button.primary');
      await page.waitForURL(/\/tra-cuu/);
      changed.add(user);
    }
  };
  const status = async () => {
    await page.waitForSelector('[role=status], [role=alert]');
    return (await page.textContent('[role=status], [role=alert]')).trim();
  };

  // The province opens a campaign and shares Hà Tĩnh's quota among its units.
  await signInAs('minh.lv');
  await page.click('header >> text=Chiến dịch');
  await labelled('campaigns');
  await page.fill('#campaign_name', 'Chiến dịch 90 ngày');
  await page.fill('#campaign_start', day(-10));
  await page.fill('#campaign_end', day(80));
  await page.click('#new-campaign button.primary');
  await page.waitForURL(/\/chien-dich\/[0-9a-f-]{36}/);
  const campaignPage = page.url().split('?')[0];
  await page.goto(`${campaignPage}?unit=CAT-42`);
  await page.fill('#quota_total', '1000');
  await page.fill('#quota_daily', '140');
  await page.check('input[name=split][value=equal]');
  await page.click('#quota button.primary');
  await page.waitForLoadState();
  await page.goto(`${campaignPage}?unit=CAT-42`);
  await labelled('dashboard');
  const received = async () => (await page.textContent('#summary dd:nth-of-type(2)')).trim();
  check((await received()).startsWith('0 / 1.000'), `Hà Tĩnh starts at 0 of 1.000, not ${await received()}`);
  const dots = await page.locator('svg.map circle').count();
  // PC06 has no territory of its own: the map places the 13 district police.
  check(dots === 13, `the map places Hà Tĩnh's 13 districts, not ${dots}`);
  check(await page.locator('#ranking tbody tr').count() === 14, 'the ranking lists the 14 units');
  // What each district needs to finish by the campaign's end.
  const needRows = await page.locator('#need_table tbody tr').count();
  check(needRows === 13, `the machines-needed panel lists Hà Tĩnh's 13 districts, not ${needRows}`);
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

  // The district registers a machine and a site, holds today's session there, invites
  // the commune's households, checks the first in and calls them.
  await signInAs('lan.pt');
  await page.goto(`${base}/lich/ke-hoach`);
  await labelled('planning');
  await page.fill('#machine_label', 'Bộ 1');
  await page.fill('#machine_minutes', '15');
  await page.click('#machine button.primary');
  check((await status()).includes('Đã thêm máy: Bộ 1'), 'a machine is registered');
  await page.fill('#site_name', 'Trụ sở Công an phường Nam Hà');
  await page.selectOption('#site_kind', 'fixed');
  await page.fill('#site_commune', '18073');
  await page.fill('#site_address', 'Số 1 Hà Huy Tập');
  await page.fill('#site_opens', '00:00');
  await page.fill('#site_closes', '23:59');
  await page.click('#site button.primary');
  check((await status()).includes('Đã thêm điểm thu nhận'), 'a site is added');
  await page.fill('#session_date', day(0));
  await page.fill('#session_from', '00:00');
  await page.fill('#session_to', '23:59');
  await page.click('#session button.primary');
  await page.waitForURL(/\/lich\/[0-9a-f-]{36}/);
  await labelled('session');
  await page.click('#invite button');
  check((await status()).includes('Đã lập giấy mời'), 'households are invited');
  const letters = await page.getAttribute('a[href$="/letters"]', 'href');
  const pdf = await page.request.get(new URL(letters, base).toString());
  check(pdf.status() === 200 && (await pdf.body()).subarray(0, 4).toString() === '%PDF', 'the letters print');
  await page.fill('#queue_number', '1');
  await page.click('form:has(#queue_number) button');
  check((await status()).includes('Đã xác nhận đến'), 'check-in by queue number');
  check((await page.textContent('#waiting')).includes('Số 1'), 'the checked-in person waits in the queue');
  await page.click('text=Gọi người tiếp theo');
  check((await status()).includes('Mời vào'), 'the next person is called');
  check((await page.textContent('main')).includes('Đang làm thủ tục'), 'the called person is being served');
  await shot('06-ca-lam-viec');

  // Next week's sessions planned, one moved a day on, and accepted.
  await page.goto(`${base}/lich/ke-hoach`);
  await page.fill('#plan_from', day(7));
  await page.fill('#plan_to', day(9));
  await page.fill('#plan_machines', '1');
  await page.click('#plan button.primary');
  await page.waitForSelector('#accept');
  await labelled('plan proposal');
  await page.fill('#date_0', day(8));
  await shot('15-ke-hoach');
  await page.click('#accept button.primary');
  check((await status()).includes('Đã duyệt kế hoạch'), 'the plan is accepted');

  // A commune officer files Cường's first card on the intake page, prints uploaded.
  await signInAs('hong.nt');
  await page.click('header >> text=Tiếp nhận hồ sơ');
  await page.fill('#id', '042092005555');
  await page.click('form[role=search] button');
  await page.waitForSelector('#citizen-name');
  check((await page.textContent('#citizen-name')) === 'Nguyễn Văn Cường', 'the intake page finds the citizen');
  await labelled('intake');
  await accessible(page, 'intake (commune)');
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
  check((await page.textContent('#intake-error')).includes('ngón út trái'), 'the refusal names the finger in Vietnamese');
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
  const slipHref = await page.getAttribute('a[href$="appointment-slip"]', 'href');
  const application = slipHref.split('/')[4];
  const slip = await page.request.get(new URL(slipHref, base).toString());
  check(slip.status() === 200 && (await slip.body()).subarray(0, 4).toString() === '%PDF', 'the appointment slip prints');

  // One step on the application's own page, confirmed first where it ends the file.
  const stepOnPage = async (action, { reason, confirm, state } = {}) => {
    await page.goto(`${base}/ho-so/${application}`);
    if (reason) await page.fill('#reason', reason);
    if (confirm) await page.check('input[name=confirm]');
    await page.click(`button[value=${action}]`);
    await page.waitForURL(/msg=/);
    check((await page.textContent('main strong')).includes(state), `${action}: the application is now ${state}`);
  };

  // The district opens it from its queue, looks at the portrait and the prints, and
  // sends it back: the portrait is to be taken again.
  await signInAs('lan.pt');
  await page.goto(`${base}/ho-so?state=received`);
  await page.click(`a:has-text("${receipt}")`);
  await page.waitForURL(new RegExp(`/ho-so/${application}`));
  await labelled('application');
  // The officer scrolls through them all: every image loads.
  await page.$$eval('.prints img', (images) => images.forEach((i) => { i.loading = 'eager'; }));
  await page.waitForFunction(() => [...document.querySelectorAll('.prints img')].every((i) => i.complete));
  const seen = await page.$$eval('.prints img', (images) => images.map((i) => i.naturalWidth > 0));
  check(seen.length === 13 && seen.every(Boolean), `the portrait, nine rolled prints and three flats are seen (${seen.length})`);
  check((await page.textContent('main')).includes('ngón tay bị thương'), 'the missing finger says why');
  await shot('16-ho-so-chi-tiet');
  await stepOnPage('request_correction', { reason: 'Ảnh chân dung bị lóa, đề nghị chụp lại', state: 'Cần bổ sung' });

  // The commune sees why and resubmits; the district verifies it.
  await signInAs('hong.nt');
  await page.goto(`${base}/ho-so/${application}`);
  check((await page.textContent('#correction')).includes('Ảnh chân dung bị lóa'), 'the commune sees the reason asked');
  await stepOnPage('resubmit', { state: 'Đã tiếp nhận' });
  await signInAs('lan.pt');
  await stepOnPage('verify', { state: 'Đã kiểm tra' });

  // The province approves it from its queue, and its dashboard counts the filing.
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
  await signInAs('minh.lv');
  await stepFromQueue('verified', 'approve', 'approved');
  await shot('12-ho-so');
  await page.goto(`${campaignPage}?unit=CAT-42`);
  check((await received()).startsWith('1 / 1.000'), `the dashboard counts the filing: ${await received()}`);
  await shot('08-chien-dich-sau');

  // The production centre makes Hà Tĩnh's approved cards and sends them.
  await signInAs('tam.nv');
  await page.click('header >> text=Sản xuất thẻ');
  await labelled('production');
  await page.fill('#province', '42');
  await page.click('form:has(#province) button');
  await page.waitForSelector('#batch');
  await page.click('button[value=produce]');
  check((await status()).startsWith('Đã xử lý: 1'), 'the batch is produced');
  await page.click('a[href="/the/042092005555"]');
  await page.waitForURL(/\/the\/042092005555/);
  const drawn = await page.$$eval('img.card', (images) => images.map((i) => i.complete && i.naturalWidth > 0));
  check(drawn.length === 2 && drawn.every(Boolean), 'both faces of the card proof are drawn');
  await shot('13-the');
  await page.goBack();
  await page.click('button[value=dispatch]');
  check((await status()).startsWith('Đã xử lý: 1'), 'the batch is dispatched');

  // The station receives the card and hands it over.
  await signInAs('lan.pt');
  await stepOnPage('receive', { state: 'Chờ trả thẻ' });
  await stepOnPage('hand_over', { confirm: true, state: 'Đã trả thẻ' });
  await page.goto(`${base}/cong-dan/042092005555`);
  check((await page.textContent('#cards')).includes('Đang sử dụng'), "the citizen's card is in use");

  // A mobile team's laptop asks to be enrolled, as `cancuoc station enrol` does, so that
  // the stations page shows its approval form.
  {
    const signing = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const agreement = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
      .export({ format: 'der', type: 'spki' });
    const response = await fetch(`${base}/api/v1/stations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Tổ lưu động số 1',
        unit: 'CAH-436',
        signing_key: signing.subarray(-32).toString('base64'),
        agreement_key: agreement.toString('base64'),
      }),
    });
    check(response.status === 201, `a station asks to be enrolled: ${response.status}`);
  }

  // Every page at a desk's and at a phone's width: labels, keyboard, axe-core, no code
  // word, no sideways scrolling, a screenshot each; as the district and as the province.
  const pages = [['tra-cuu', '/tra-cuu?q=nguyen'], ['tiep-nhan', '/tiep-nhan?id=042090001234'],
    ['ho-so', '/ho-so?state=handed_over'], ['ho-so-chi-tiet', `/ho-so/${application}`],
    ['cho-duyet', '/ho-so-cho-duyet'], ['lich', '/lich'], ['chien-dich', '/chien-dich'],
    ['bang-dieu-khien', `${campaignPage.slice(base.length)}?unit=CAT-42`], ['doi-mat-khau', '/doi-mat-khau'],
    ['san-xuat', '/san-xuat'], ['the', '/the/042092005555'], ['don-vi', '/quan-tri/don-vi?unit=CAT-42'],
    ['dan-cu', '/dan-cu'], ['cong-dan', '/cong-dan/042092005555'], ['ke-hoach', '/lich/ke-hoach'],
    ['dia-ban', '/dia-ban-dac-biet'], ['tram-luu-dong', '/tram-luu-dong'], ['dat-lich', '/dat-lich']];
  for (const who of ['lan.pt', 'minh.lv']) {
    await page.setViewportSize({ width: 1366, height: 800 });
    await signInAs(who);
    for (const width of [1366, 375]) {
      await page.setViewportSize({ width, height: 800 });
      for (const [name, path] of pages) {
        const response = await page.goto(`${base}${path}`);
        // A page the role may not open says so; it is not a broken page.
        if (response.status() === 403) continue;
        const where = `${who} ${name} ${width}`;
        await labelled(where);
        await accessible(page, where);
        // In Vietnamese, no code word reaches the officer (`in_production`, `commune_officer`).
        const text = await page.evaluate(() => (document.querySelector('main') || document.body).innerText);
        const codes = text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) || [];
        check(codes.length === 0, `${where}: code words on a Vietnamese page: ${[...new Set(codes)].join(', ')}`);
        // Nor a phrase of the console's English table.
        const english = englishPhrases.filter((phrase) => text.includes(phrase));
        check(english.length === 0, `${where}: English on a Vietnamese page: ${english.join('; ')}`);
        if (width === 375) {
          await keyboard(where);
          const wide = await page.evaluate(() => document.documentElement.scrollWidth);
          check(wide <= 375, `${where} is ${wide} px wide`);
        }
        await shot(`${width}-${who.split('.')[0]}-${name}`);
      }
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
