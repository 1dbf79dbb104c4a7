// The renditions as sharp (libvips for Node) makes them, at the settings bench/peers.py states: one thread,
// colour managed (the embedded profile to sRGB, sharp's default), upright, preview and thumbnail from one
// decode, WebP q80 at the given efforts, no metadata. Reads one JSON request a line on stdin, answers one
// line with its own CPU time (process.cpuUsage: all of its threads) and the bytes made.
"use strict";
const fs = require("fs");
const readline = require("readline");
const sharp = require("sharp");

sharp.concurrency(1);
sharp.cache(false);

async function render(request) {
  const input = fs.readFileSync(request.input);
  const started = process.cpuUsage();
  const fit = { fit: "inside", withoutEnlargement: true };
  const { data, info } = await sharp(input).rotate().resize(request.preview, request.preview, fit)
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const preview = await sharp(data, raw).webp({ quality: 80, effort: request.previewEffort }).toBuffer();
  const thumbnail = await sharp(data, raw).resize(request.thumbnail, request.thumbnail, fit)
    .webp({ quality: 80, effort: request.thumbnailEffort }).toBuffer();
  const used = process.cpuUsage(started);
  if (request.output) {
    fs.writeFileSync(request.output, preview);
  }
  return { cpu: (used.user + used.system) / 1e6, preview: preview.length, thumbnail: thumbnail.length };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  try {
    process.stdout.write(JSON.stringify(await render(JSON.parse(line))) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n");
  }
});
