import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const base = 'http://127.0.0.1:8099';
for (const width of [1366, 375]) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(base + '/dang-nhap');
  await page.fill('#username', 'huyen.test');
  await page.fill('#password', 'a-much-longer-password');
  await page.click('button[type=submit]');
  await page.goto(base + '/ho-so?receipt=CAX-18073-20261205-00001X');
  await page.screenshot({ path: `/tmp/shots/ho-so-${width}.png`, fullPage: true });
  console.log(page.url());
}
await browser.close();
