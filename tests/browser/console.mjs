// Opens the node's /console/events page in headless Chromium and reports what it shows.
//
//   node console.mjs URL [--until TYPE] [--timeout MS] [--screenshot FILE]
//
// Prints `ready` once the page's EventSource is open (status "live"), then, when a row
// of type TYPE (default call.completed) is on the page, one JSON line: the rows, in
// page order, as {type, id, call}. Exits 1 with a message on timeout or page error.
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const url = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const until = opt("--until", "call.completed");
const timeout = Number(opt("--timeout", "60000"));
const screenshot = opt("--screenshot", null);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const fail = async (message) => {
  console.error(message);
  await browser.close();
  process.exit(1);
};
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(url);
  await page.waitForSelector('#status[data-state="live"]', { timeout: 15000 });
  console.log("ready");
  await page.waitForSelector(`tr[data-type="${until}"]`, { timeout });
  const rows = await page.$$eval("#events tr", (trs) =>
    trs.map((tr) => ({ type: tr.dataset.type, id: tr.dataset.id, call: tr.children[2].textContent })),
  );
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(rows));
  await browser.close();
} catch (e) {
  await fail(`console page: ${e.message}`);
}
