// The demo page: drop an image, see the overlay, the labels, the captions and the latency.
import { loadDetector, wasmThreads } from "./artifact-detector.js";

const $ = (id) => document.getElementById(id);
const MAGENTA = [255, 0, 255];
let detector = null;

async function useDevice(device) {
  $("status").textContent = `loading the models for ${device}...`;
  if (detector) await detector.release();
  detector = null;
  try {
    detector = await loadDetector({ device });
    const threads = device === "wasm" ? `, ${wasmThreads()} thread(s)` : "";
    $("status").textContent = `ready: ${device}${threads}${crossOriginIsolated ? ", cross-origin isolated" : ""}`;
  } catch (error) {
    $("status").textContent = `cannot use ${device}: ${error.message}`;
  }
}

function drawOverlay({ image, mask, record }) {
  const canvas = $("overlay");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(image.width, image.height);
  const alpha = 0.55;
  for (let p = 0, q = 0; p < image.width * image.height; p++, q += 3) {
    const on = mask && mask.data[p] >= record.pixel_threshold ? alpha : 0;
    for (let ch = 0; ch < 3; ch++) pixels.data[p * 4 + ch] = image.pixels[q + ch] * (1 - on) + MAGENTA[ch] * on + 0.5;
    pixels.data[p * 4 + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  context.strokeStyle = "rgb(255, 0, 255)";
  context.lineWidth = Math.max(1, Math.floor(Math.min(image.width, image.height) / 256));
  for (const region of record.regions) {
    const [x0, y0, x1, y1] = region.box;
    context.strokeRect(x0, y0, x1 - x0, y1 - y0);
  }
}

// An element with a class and children (strings become text nodes: labels and captions
// come from the bundle and are never read as markup).
function element(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function showDetails({ record, timings }) {
  const verdict = record.is_artifact ? element("span", "flag", "artifact") : element("span", "clean", "clean");
  const list = (texts) => element("ul", "", ...(texts.length ? texts : ["none"]).map((text) => element("li", "", text)));
  const stages = Object.entries(timings).map(([stage, ms]) => `${stage} ${ms.toFixed(1)} ms`).join(", ");
  const latency = element("p", "", `Latency: ${timings.total.toFixed(1)} ms (${stages})`);
  latency.id = "latency";
  $("details").replaceChildren(element("p", "", verdict, `, score ${record.artifact_score.toFixed(3)}`),
    element("p", "", "Labels:"), list(record.labels),
    element("p", "", "Regions:"), list(record.regions.map((region) => region.caption)), latency);
}

async function analyse(file) {
  if (!detector) return;
  $("status").textContent = `analysing ${file.name}...`;
  try {
    const result = await detector.detect(file);
    drawOverlay(result);
    showDetails(result);
    $("status").textContent = `done: ${file.name}`;
  } catch (error) {
    $("status").textContent = `failed: ${error.message}`;
  }
}

const drop = $("drop");
drop.addEventListener("click", () => $("file").click());
$("file").addEventListener("change", (event) => event.target.files[0] && analyse(event.target.files[0]));
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files[0]) analyse(event.dataTransfer.files[0]);
});
$("device").addEventListener("change", (event) => useDevice(event.target.value));
if (!navigator.gpu) $("device").querySelector('option[value="webgpu"]').disabled = true;
useDevice("wasm");
