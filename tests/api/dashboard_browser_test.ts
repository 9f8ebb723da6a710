/**
 * The dashboard in real headless Chromium against a real server wired to the
 * real pipeline and devices runtime: the demo recording plays as the live source on the main
 * bus while the page watches, then the page uploads it (its own timeline, "upload 1") and sends
 * a typed command ("typed 1"). Every log row has a wall-clock time and, apart, a stream time
 * labelled with its source. The devices table shows the registry's spoken names and areas,
 * states in words and availability from real Zigbee2MQTT and Tasmota payloads on the broker,
 * sorted by area. At 1280x800 (desktop) and 390x844 (phone): no cell overflows, no word breaks
 * across lines, the page never scrolls sideways. The sign-in link `/?token=` leaves an HttpOnly
 * SameSite=Strict cookie and an address without the token. Screenshots are saved to
 * tests/artifacts/dashboard/ (git-ignored): desktop.png, phone.png (whole pages) and
 * phone-devices.png, phone-events.png (the two sections).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { EventBus } from "../../core/bus.ts";
import { startApi } from "../../api/server.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { createStages } from "../../app/stages.ts";
import { DEMO_WAV, MQTT_TEST, pipelineServices, testConfig } from "./wiring.ts";

// playwright-core probes /proc/sys/fs/binfmt_misc/WSLInterop with fs.existsSync when it loads;
// Deno allows reading /proc/sys only under --allow-all and throws instead of returning false.
// Answer false for paths we may not read (as Node's existsSync does for any error), then load it.
const existsSync = fs.existsSync;
fs.existsSync = (path: fs.PathLike) => {
  try {
    return existsSync(path);
  } catch {
    return false;
  }
};
const { chromium } = await import("playwright-core");

const CHROMIUM = "/usr/bin/chromium";
// Functions passed to page.evaluate/waitForFunction run in the page (Playwright calls them over
// CDP, which the page's CSP allows; string predicates would need 'unsafe-eval'). This file is
// type-checked without the DOM library, so the page's globals are declared loosely here.
// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const NodeFilter: any;
declare const innerWidth: number;
const ARTIFACTS = new URL("../artifacts/dashboard/", import.meta.url).pathname;

/**
 * In the page: what overflows or breaks. Every devices cell and log field must fit its box
 * (scrollWidth <= clientWidth) and no word may be split over two lines (a word's text range
 * laid out on more than one line); the page must not scroll sideways.
 */
function layoutProblems(): string[] {
  const bad: string[] = [];
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth) bad.push(`page scrolls sideways: ${root.scrollWidth}px`);
  for (const box of document.querySelectorAll("#devices th, #devices td, #log li > *, .facts dd")) {
    if (box.offsetParent === null) continue; // hidden rows (VAD events)
    if (box.scrollWidth > box.clientWidth + 1) {
      bad.push(`overflows (${box.scrollWidth} > ${box.clientWidth}): ${box.textContent}`);
    }
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /\S+/g;
      for (let m = words.exec(node.textContent); m; m = words.exec(node.textContent)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom)));
        if (lines.size > 1) bad.push(`word broken over ${lines.size} lines: "${m[0]}"`);
      }
    }
  }
  return bad;
}

/** In the page: the devices table as [name, area, type, state, availability, changed] rows. */
function deviceRows(): string[][] {
  return [...document.querySelectorAll("#devices tbody tr[data-device]")].map((tr) =>
    [...tr.children].slice(0, 6).map((td) => td.textContent.replaceAll("\u00a0", " "))
  );
}
const TOKEN = "browser-test-token-0123456789";

Deno.test(
  "dashboard in Chromium: live and uploaded audio apart, wall times, devices in words, desktop and phone",
  MQTT_TEST,
  async () => {
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`,
      );
    }
    // The assistant's bus stamps wall-clock times, as main.ts makes it when the API is on.
    const bus = new EventBus({ clock: Date.now });
    const config = testConfig({ token: TOKEN });
    const services = await pipelineServices(config, bus);
    const server = await startApi(config, services);
    const profile = await Deno.makeTempDir({ prefix: "earshot-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      viewport: { width: 1280, height: 800 },
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      page.on("requestfailed", (r) => {
        // The event stream is aborted when the page closes; anything else is a problem.
        if (!r.url().includes("/api/events")) problems.push(`request failed: ${r.url()}`);
      });

      // The sign-in link: the token is exchanged for a cookie and leaves the address.
      await page.goto(`${server.url}/?token=${TOKEN}`);
      assert.equal(new URL(page.url()).search, "");
      const [cookie] = await context.cookies(server.url);
      assert.equal(cookie.name, "earshot_session");
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");
      assert.ok(!cookie.value.includes(TOKEN));
      // The token for commands comes in the URL fragment (never sent to the server).
      await page.goto(`${server.url}/#token=${TOKEN}`);
      await page.waitForSelector("#connection.ok", { timeout: 10000 });
      assert.equal(new URL(page.url()).hash, "");
      assert.equal(await page.inputValue("#token"), TOKEN);
      await page.waitForFunction(() =>
        document.getElementById("version").textContent.startsWith("v")
      );
      assert.match(
        await page.textContent("#models") ?? "",
        /vad vad: \d+\.\d KiB · \d+ weights 32-bit/,
      );

      // Devices report as the real ecosystems do (Zigbee2MQTT state and availability objects,
      // a Tasmota LWT), on the broker the devices runtime listens to.
      const sim = services.sim;
      await sim.send(
        "zigbee2mqtt/living_floor_lamp",
        JSON.stringify({ state: "ON", brightness: 102, color_temp: 370, linkquality: 90 }),
      );
      await sim.send("zigbee2mqtt/living_floor_lamp/availability", '{"state":"online"}');
      await sim.send(
        "zigbee2mqtt/living_trv",
        JSON.stringify({ occupied_heating_setpoint: 21, local_temperature: 19.5 }),
      );
      await sim.send("zigbee2mqtt/living_blinds", JSON.stringify({ position: 0 }));
      await sim.send("tele/garage_door/LWT", "Offline");
      await page.waitForFunction(
        () => /heating to/.test(document.getElementById("devices").textContent),
        undefined,
        { timeout: 10000 },
      );
      const rows = await page.evaluate(deviceRows);
      const row = (name: string) => rows.find((r) => r[0] === name) ?? [];
      assert.deepEqual(row("floor lamp").slice(0, 5), [
        "floor lamp",
        "living room",
        "light",
        "on, 40%, 2700 K",
        "online",
      ]);
      assert.match(row("floor lamp")[5], /^\d\d:\d\d:\d\d$/, "the last change, local time");
      assert.deepEqual(row("thermostat").slice(1, 4), [
        "living room",
        "thermostat",
        "heating to 21 °C, now 19.5 °C",
      ]);
      assert.equal(row("living room blinds")[3], "closed");
      assert.deepEqual(row("garage door").slice(1, 5), ["garage", "cover", "unknown", "offline"]);
      assert.deepEqual(row("movie time").slice(3, 6), ["no state", "unknown", "–"]);
      assert.deepEqual(row("coffee machine").slice(3, 5), ["unknown", "unknown"]);
      // Sorted by area, then name; no JSON and no "undefined" anywhere in the table.
      const areas = rows.map((r) => r[1]);
      assert.deepEqual(areas, [...areas].sort((a, b) => a.localeCompare(b)));
      assert.equal(rows.length, 11);
      const table = await page.textContent("#devices") ?? "";
      assert.doesNotMatch(table, /[{}"]|undefined|null|NaN/);

      // The demo plays as the live source (no session), as a microphone's audio would...
      await runAudio(await Deno.readFile(DEMO_WAV), config, {
        bus,
        vad: services.vad,
        makeStages: (b) => createStages(config, b, { grammar: services.devices.grammar() }),
      });
      await page.waitForSelector('#log li[data-type="wake"][data-source="live"]', {
        timeout: 30000,
      });
      // ...then the page uploads the same file: its own timeline, starting at 0 again.
      await page.setInputFiles("#audio-file", DEMO_WAV);
      await page.click("#audio-form button");
      await page.waitForFunction(() => document.body.dataset.uploads === "1", undefined, {
        timeout: 60000,
      });
      await page.waitForSelector('#log li[data-type="intent"][data-kind="upload"]', {
        timeout: 30000,
      });
      const wakes = await page.$$eval('#log li[data-type="wake"]', (lis) =>
        lis.map((li) => ({
          source: li.querySelector(".source").textContent,
          wall: li.querySelector(".wall").textContent,
          stream: li.querySelector(".stream").textContent,
        })));
      assert.equal(wakes.length, 2, JSON.stringify(wakes));
      const [upWake, liveWake] = wakes; // newest first
      assert.equal(upWake.source, "upload 1: demo.wav");
      assert.equal(liveWake.source, "live");
      // Same audio, same stream time on each own timeline; different wall-clock times.
      assert.match(upWake.stream, /^\d+\.\d\d s$/);
      assert.equal(upWake.stream, liveWake.stream);
      for (const w of wakes) assert.match(w.wall, /^\d\d:\d\d:\d\d\.\d{3}$/);
      assert.ok(upWake.wall > liveWake.wall, `${upWake.wall} after ${liveWake.wall}`);
      assert.match(await page.textContent("#last-wake") ?? "", /hey computer · score .* upload 1/);
      assert.match(await page.textContent("#control-result") ?? "", /intents: TurnOn/);
      // The plot received level events (about 10 per second of audio).
      const levels = Number(await page.getAttribute("body", "data-levels"));
      assert.ok(levels >= 40, `only ${levels} level events reached the plot`);
      const inked = await page.evaluate(() => {
        const c = document.getElementById("plot");
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
      });
      assert.ok(inked > 1000, "the plot drew something");
      await page.waitForFunction(() =>
        document.getElementById("counters").textContent.includes("2 accepted")
      );

      // A typed command: its own source, no stream time.
      await page.fill("#command", "turn off the kitchen light");
      await page.click("#command-form button");
      await page.waitForFunction(
        () => document.getElementById("control-result").textContent.startsWith("command:"),
        undefined,
        { timeout: 10000 },
      );
      assert.match(
        await page.textContent("#control-result") ?? "",
        /^command: 3 events, 0 wake, intents: TurnOff \(\d+ ms\)$/,
      );
      const typed = await page.$$eval(
        '#log li[data-kind="typed"]',
        (lis) => lis.map((li) => [...li.children].map((c) => c.textContent)),
      );
      assert.deepEqual(typed.map((r) => r.slice(1, 4)).reverse(), [
        ["typed 1", "–", "intent"],
        ["typed 1", "–", "publish"],
        ["typed 1", "–", "confirm"],
      ]);
      for (const r of typed) assert.match(r[0], /^\d\d:\d\d:\d\d\.\d{3}$/);
      // Every row has a wall-clock time, and its datetime is the event's ISO time.
      const walls = await page.$$eval(
        "#log li .wall",
        (ts) => ts.map((t) => [t.textContent, t.getAttribute("datetime")]),
      );
      assert.ok(walls.length >= 10);
      for (const [text, iso] of walls) {
        assert.match(text!, /^\d\d:\d\d:\d\d\.\d{3}$/);
        assert.match(iso!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      // The device table follows the confirm: the kitchen light is off, confirmed.
      await page.waitForFunction(
        () =>
          /^kitchen light.*offunknown\d\d:\d\d:\d\d\d\d:\d\d:\d\d · confirmed in \d+ ms$/.test(
            document.querySelector('#devices tr[data-device="kitchen_light"]')?.textContent ?? "",
          ),
        undefined,
        { timeout: 10000 },
      );

      // A wrong token is reported, not swallowed.
      await page.fill("#token", "wrong-token-wrong-token");
      await page.fill("#command", "turn on the kitchen light");
      await page.click("#command-form button");
      await page.waitForSelector("#control-result.error");
      assert.match(await page.textContent("#control-result") ?? "", /invalid bearer token/);
      await page.fill("#token", TOKEN);

      // A microphone restart shows on the page with its reason (issue 13: the page says why).
      bus.emit({
        type: "source",
        t: 9,
        state: "restarting",
        source: "mic:default",
        reason: "arecord exited (code 1); retry in 500 ms",
      });
      await page.waitForFunction(
        () =>
          document.getElementById("audio").textContent.includes(
            "mic:default restarting (arecord exited (code 1); retry in 500 ms)",
          ),
        undefined,
        { timeout: 10000 },
      );
      await page.check("#show-vad");

      // Desktop, 1280 px: nothing overflows, no word is broken.
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      assert.deepEqual(await page.evaluate(layoutProblems), [], "desktop 1280x800");
      await page.screenshot({ path: `${ARTIFACTS}desktop.png`, fullPage: true });
      // Phone, 390 px: devices become cards, the log wraps, the page does not scroll sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => document.documentElement.clientWidth === 390);
      assert.deepEqual(await page.evaluate(layoutProblems), [], "phone 390x844");
      // Each device is a card: its cells stacked, inside the screen, the state readable.
      const card = await page.$$eval(
        '#devices tr[data-device="floor_lamp"] td',
        (tds) =>
          tds.map((td) => {
            const r = td.getBoundingClientRect();
            return [td.getAttribute("data-label"), td.textContent, r.left, r.right];
          }),
      );
      assert.deepEqual(card.map((c) => c[0]), [
        "Device",
        "Area",
        "Type",
        "State",
        "Availability",
        "Changed",
        "Last command",
      ]);
      assert.equal(String(card[3][1]).replaceAll("\u00a0", " "), "on, 40%, 2700 K");
      for (const [label, , left, right] of card) {
        assert.ok(Number(left) >= 0 && Number(right) <= 390, `${label}: ${left}..${right}`);
      }
      await page.screenshot({ path: `${ARTIFACTS}phone.png`, fullPage: true });
      // Close-ups of the two parts this page is read for on a phone.
      await page.locator('section[aria-labelledby="devices-title"]').screenshot({
        path: `${ARTIFACTS}phone-devices.png`,
      });
      await page.locator('section[aria-labelledby="log-title"]').screenshot({
        path: `${ARTIFACTS}phone-events.png`,
      });
      for (const shot of ["desktop.png", "phone.png"]) {
        assert.ok((await Deno.stat(`${ARTIFACTS}${shot}`)).size > 10000, shot);
      }
      // The 401 above logs one console error (the failed fetch); nothing else may.
      const unexpected = problems.filter((p) => !/status of 401/.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await context.close();
      await server.close();
      await services.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
);
