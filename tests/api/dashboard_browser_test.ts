/**
 * The dashboard in real headless Chromium against a real server wired to the
 * real pipeline: it connects to the event stream, an uploaded WAV makes the
 * wake word and the intent appear live in the log (from SSE, not from the
 * upload's response), the plot receives level events, a typed command works,
 * and the page logs no errors (a CSP violation would). A screenshot is saved
 * to tests/artifacts/dashboard.png.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { EventBus } from "../../core/bus.ts";
import { startApi } from "../../api/server.ts";
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
// type-checked without the DOM library, so the page's document is declared loosely here.
// deno-lint-ignore no-explicit-any
declare const document: any;
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const TOKEN = "browser-test-token-0123456789";

Deno.test(
  "dashboard in Chromium: live wake and intent from an uploaded WAV, commands, screenshot",
  MQTT_TEST,
  async () => {
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`,
      );
    }
    const bus = new EventBus();
    const config = testConfig({ token: TOKEN });
    const services = await pipelineServices(config, bus);
    const server = await startApi(config, services);
    const profile = await Deno.makeTempDir({ prefix: "earshot-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      viewport: { width: 1280, height: 1000 },
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

      // The token comes in the URL fragment (never sent to the server) and leaves the address bar.
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

      // Upload the demo recording through the form.
      await page.setInputFiles("#audio-file", DEMO_WAV);
      await page.click("#audio-form button");
      // Wake and intent appear in the log from the live stream...
      await page.waitForSelector('#log li[data-type="wake"]', { timeout: 30000 });
      await page.waitForSelector('#log li[data-type="intent"]', { timeout: 30000 });
      // ...and the upload's own answer arrives too.
      await page.waitForFunction(() => document.body.dataset.uploads === "1", undefined, {
        timeout: 30000,
      });
      const intentRow = await page.textContent('#log li[data-type="intent"]');
      assert.match(intentRow!, /TurnOn device=kitchen_light/);
      assert.match(await page.textContent('#log li[data-type="wake"]') ?? "", /hey computer score/);
      assert.match(await page.textContent("#last-intent") ?? "", /TurnOn .*wake→intent \d+ ms/);
      assert.match(await page.textContent("#last-transcript") ?? "", /turn on the kitchen light/);
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

      // Counters follow from /api/status shortly after the events.
      await page.waitForFunction(() =>
        document.getElementById("counters").textContent.includes("1 accepted")
      );
      // A typed command goes through the intent router and shows up live.
      await page.fill("#command", "turn off the kitchen light");
      await page.click("#command-form button");
      await page.waitForFunction(
        () =>
          document.querySelector('#log li[data-type="intent"]')?.textContent?.includes("TurnOff"),
        undefined,
        { timeout: 10000 },
      );
      // The answer comes once the device confirmed; the device table shows the new state.
      await page.waitForFunction(
        () => document.getElementById("control-result").textContent.startsWith("command:"),
        undefined,
        { timeout: 10000 },
      );
      assert.match(
        await page.textContent("#control-result") ?? "",
        /^command: 3 events, 0 wake, intents: TurnOff \(\d+ ms\)$/,
      );
      await page.waitForSelector('#log li[data-type="confirm"]');
      // The device table refreshes on its own schedule after the confirm event: wait for it.
      await page.waitForFunction(
        () =>
          /"on":false/.test(
            document.querySelector('#devices tr[data-device="kitchen_light"]')?.textContent ?? "",
          ),
        undefined,
        { timeout: 10000 },
      ).catch(() => {});
      assert.match(
        await page.textContent('#devices tr[data-device="kitchen_light"]') ?? "",
        /kitchen_light\{"state":"OFF"\}.*"on":false.*yes \(\d+ ms\)/,
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

      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
      assert.ok((await Deno.stat(`${ARTIFACTS}dashboard.png`)).size > 10000);
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
