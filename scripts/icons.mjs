// Renders resources/icon.svg to the PNG sizes desktop packages and the tray use
// (resources/icons/NxN.png), with Debian's Chromium through Playwright; the PNGs are committed.
// Run after changing the SVG: node scripts/icons.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { chromium } from '@playwright/test'

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
const svg = readFileSync(new URL('../resources/icon.svg', import.meta.url), 'utf8')
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
})
try {
  for (const size of SIZES) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
    )
    const png = await page.screenshot({
      omitBackground: true,
      clip: { x: 0, y: 0, width: size, height: size },
    })
    writeFileSync(new URL(`../resources/icons/${size}x${size}.png`, import.meta.url), png)
    await page.close()
  }
} finally {
  await browser.close()
}
console.log(`resources/icons: ${SIZES.map((s) => `${s}x${s}`).join(' ')}`)
