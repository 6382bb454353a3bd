// artifactsdk in the browser: the bundle models (int8 or fp32 on WASM, fp16 on WebGPU) over
// onnxruntime-web, with the pre- and post-processing of the Python runtime
// (artifactsdk.preprocess, artifactsdk.postprocess, artifactsdk.image_io), so a
// detection here matches `Detector.detect` on the same image.
//
//   import { loadDetector } from "./artifact-detector.js";
//   const detector = await loadDetector({ device: "wasm" });   // or "webgpu"
//   const { record, mask } = await detector.detect(fileOrBlobOrUrl);
//
// `record` is a detection record of detection.schema.json (the fields of Detection.to_dict(),
// checked in the browser tests); `mask` is the probability map at the
// image's size. Every number the Python runtime reads from the bundle (input size,
// mean / std, thresholds, labels, trained classes, image score, region size, caption
// places) comes from detector.json, written by `artifactsdk export-web`.

const PRECISION_BITS = 22; // Pillow's fixed-point resampling of 8-bit images (Resample.c)

// Pillow's filters: support and weight function.
const FILTERS = {
  bilinear: { support: 1, weight: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

// -- resampling, as Pillow's Image.resize does it ---------------------------------------

function coefficients(inSize, outSize, filter) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const inverse = 1 / filterScale;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * inverse);
      weights[xx * ksize + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < count; x++) weights[xx * ksize + x] /= total;
    starts[xx] = xmin;
    counts[xx] = count;
  }
  return { ksize, starts, counts, weights };
}

function fixedPoint(weights) {
  const scaled = new Float64Array(weights.length);
  const one = 2 ** PRECISION_BITS;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] * one;
    scaled[i] = w < 0 ? Math.trunc(-0.5 + w) : Math.trunc(0.5 + w);
  }
  return scaled;
}

function clip8(sum) {
  if (sum >= 2 ** (PRECISION_BITS + 8)) return 255;
  if (sum <= 0) return 0;
  return Math.floor(sum / 2 ** PRECISION_BITS);
}

// One separable pass along x (`horizontal`) or y over an image of `channels` interleaved
// values per pixel. uint8 images use Pillow's integer arithmetic, float32 ones its doubles.
function resamplePass(src, width, height, channels, outSize, filter, horizontal) {
  const isFloat = src instanceof Float32Array;
  const inSize = horizontal ? width : height;
  const c = coefficients(inSize, outSize, filter);
  const k = isFloat ? c.weights : fixedPoint(c.weights);
  const outW = horizontal ? outSize : width;
  const outH = horizontal ? height : outSize;
  const out = isFloat ? new Float32Array(outW * outH * channels) : new Uint8Array(outW * outH * channels);
  const start = isFloat ? 0 : 2 ** (PRECISION_BITS - 1);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = horizontal ? x : y;
      const base = i * c.ksize;
      for (let ch = 0; ch < channels; ch++) {
        let sum = start;
        for (let t = 0; t < c.counts[i]; t++) {
          const at = horizontal ? (y * width + c.starts[i] + t) : ((c.starts[i] + t) * width + x);
          sum += src[at * channels + ch] * k[base + t];
        }
        out[(y * outW + x) * channels + ch] = isFloat ? sum : clip8(sum);
      }
    }
  }
  return out;
}

/** Pillow's Image.resize: the horizontal pass first, then the vertical, each only when needed. */
export function resize(src, width, height, channels, outWidth, outHeight, filterName = "bilinear") {
  const filter = FILTERS[filterName];
  let data = src;
  if (outWidth !== width) data = resamplePass(data, width, height, channels, outWidth, filter, true);
  if (outHeight !== height) data = resamplePass(data, outWidth, height, channels, outHeight, filter, false);
  return data === src ? src.slice() : data;
}

// Pillow's Image.reduce(factor): the mean of each factor x factor block (partial blocks at
// the right and bottom edges average the pixels they have), in Pillow's fixed point:
// ((sum + n / 2) * floor(2^24 / n)) >> 24 for a block of n pixels.
function reduce(src, width, height, factor) {
  const outW = Math.ceil(width / factor);
  const outH = Math.ceil(height / factor);
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let sum = 0;
        let n = 0;
        for (let dy = 0; dy < factor && y * factor + dy < height; dy++) {
          for (let dx = 0; dx < factor && x * factor + dx < width; dx++) {
            sum += src[((y * factor + dy) * width + x * factor + dx) * 3 + ch];
            n += 1;
          }
        }
        out[(y * outW + x) * 3 + ch] = Math.floor(((sum + Math.floor(n / 2)) * Math.floor(2 ** 24 / n)) / 2 ** 24);
      }
    }
  }
  return { pixels: out, width: outW, height: outH };
}

// Python's round(): halves go to the even neighbour.
function roundHalfEven(value) {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

// -- decoding (artifactsdk.image_io) ------------------------------------------------------

async function toBlob(source) {
  if (source instanceof Blob) return source;
  const response = await fetch(source);
  if (!response.ok) throw new Error(`cannot fetch the image ${source}: HTTP ${response.status}`);
  return response.blob();
}

/** Any image the browser decodes -> {pixels: HxWx3 uint8 RGB, width, height, originalSize},
 * alpha composited on white and bounded like artifactsdk.image_io.load_image. */
export async function decodeImage(source, config) {
  const blob = await toBlob(source);
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (error) {
    throw new Error(`${source.name || source}: not an image the browser can decode (${error.message})`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
  let pixels = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    const alpha = rgba[i + 3];
    for (let ch = 0; ch < 3; ch++) {
      pixels[j + ch] = alpha === 255 ? rgba[i + ch] : Math.floor((rgba[i + ch] * alpha + 255 * (255 - alpha)) / 255 + 0.5);
    }
  }
  return bound(pixels, width, height, config.image);
}

function bound(pixels, width, height, limits) {
  const originalSize = [width, height];
  const longer = Math.max(width, height);
  const shorter = Math.min(width, height);
  if (longer > limits.max_side) {
    const factor = Math.floor(longer / limits.max_side);
    if (factor >= 2) ({ pixels, width, height } = reduce(pixels, width, height, factor));
    const scale = limits.max_side / Math.max(width, height);
    const outW = Math.max(1, roundHalfEven(width * scale));
    const outH = Math.max(1, roundHalfEven(height * scale));
    pixels = resize(pixels, width, height, 3, outW, outH, "bilinear");
    [width, height] = [outW, outH];
  } else if (shorter < limits.min_side) {
    const scale = limits.min_side / shorter;
    const outW = Math.max(limits.min_side, roundHalfEven(width * scale));
    const outH = Math.max(limits.min_side, roundHalfEven(height * scale));
    pixels = resize(pixels, width, height, 3, outW, outH, "bicubic");
    [width, height] = [outW, outH];
  }
  return { pixels, width, height, originalSize };
}

// -- pre-processing (artifactsdk.preprocess.to_tensor) --------------------------------------

/** HxWx3 uint8 RGB -> 1x3xHxW float32 at the model's input size, mean / std applied. */
export function toTensorData(image, input) {
  const resized = resize(image.pixels, image.width, image.height, 3, input.width, input.height, "bilinear");
  const plane = input.width * input.height;
  const out = new Float32Array(3 * plane);
  const order = input.colour_order === "BGR" ? [2, 1, 0] : [0, 1, 2];
  for (let ch = 0; ch < 3; ch++) {
    const mean = Math.fround(input.mean[ch]);
    const inverseStd = Math.fround(1 / Math.fround(input.std[ch]));
    const from = order[ch];
    for (let p = 0; p < plane; p++) {
      out[ch * plane + p] = Math.fround(Math.fround(resized[p * 3 + from] - mean) * inverseStd);
    }
  }
  return out;
}

// -- post-processing (artifactsdk.postprocess) ---------------------------------------------

const sigmoid = (x) => 1 / (1 + Math.exp(-Math.min(80, Math.max(-80, x))));

function bySemantics(outputs, specs) {
  const found = {};
  for (const spec of specs) if (spec.name in outputs) found[spec.semantics] = outputs[spec.name];
  return found;
}

/** The (h, w) artifact probability from whichever output kind the segmenter has. */
export function segmenterProbability(outputs, specs) {
  const found = bySemantics(outputs, specs);
  const last2 = (tensor) => tensor.dims.slice(-2);
  if (found.artifact_logit) {
    const [h, w] = last2(found.artifact_logit);
    return { data: Float32Array.from(found.artifact_logit.data, sigmoid), width: w, height: h };
  }
  if (found.artifact_probability) {
    const [h, w] = last2(found.artifact_probability);
    return { data: Float32Array.from(found.artifact_probability.data), width: w, height: h };
  }
  if (found.artifact_two_class_logits) {
    const [h, w] = last2(found.artifact_two_class_logits);
    const logits = found.artifact_two_class_logits.data;
    const data = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) {
      const a = logits[p];
      const b = logits[h * w + p];
      const top = Math.max(a, b);
      data[p] = Math.exp(b - top) / (Math.exp(a - top) + Math.exp(b - top));
    }
    return { data, width: w, height: h };
  }
  if (found.artifact_argmax) {
    const [h, w] = last2(found.artifact_argmax);
    return { data: Float32Array.from(found.artifact_argmax.data, (v) => (Number(v) > 0 ? 1 : 0)), width: w, height: h };
  }
  throw new Error(`the segmenter has no artifact output among ${specs.map((s) => s.semantics).join(", ")}`);
}

/** {classes: per-class probabilities or null, image: image artifact probability or null,
 * evidence: the per-position artifact logit map or null (artifactsdk.postprocess.classifier_evidence)}. */
export function classifierProbabilities(outputs, specs) {
  const found = bySemantics(outputs, specs);
  const classes = found.class_logits ? Array.from(found.class_logits.data, sigmoid) : null;
  let image = found.image_artifact_logit ? sigmoid(found.image_artifact_logit.data[0]) : null;
  if (image === null && classes !== null) image = Math.max(...classes);
  let evidence = null;
  if (found.image_artifact_map) {
    const [h, w] = found.image_artifact_map.dims.slice(-2);
    evidence = { data: Float32Array.from(found.image_artifact_map.data), width: w, height: h };
  }
  return { classes, image, evidence };
}

const logit = (p) => {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
};

/** The evidence cells whose logit passes `threshold` (a probability) among the strongest
 * `topFraction` of the map, at least its strongest cell (artifactsdk.postprocess.strongest_cells). */
function strongestCells(logits, threshold, topFraction) {
  const count = Math.max(1, Math.round(topFraction * logits.length));
  const cut = Float32Array.from(logits).sort()[logits.length - count];
  const least = logit(threshold);
  return Array.from(logits, (e) => e >= cut && e >= least);
}

/** A flagged image's mask: the segmenter's map and the strongest evidence cells (nearest
 * neighbour), whichever is higher, the cells' probabilities rescaled so the artifact threshold
 * lands on the pixel threshold (artifactsdk.postprocess.with_evidence). */
function withEvidence(map, evidence, thresholds, settings) {
  const shift = logit(thresholds.pixel) - logit(thresholds.artifact);
  // a kept cell shows at least halfway from the pixel threshold to 1 (postprocess.with_evidence)
  const floor = (1 + thresholds.pixel) / 2;
  const kept = strongestCells(evidence.data, thresholds.artifact, settings.top_fraction);
  const rescaled = Float32Array.from(evidence.data,
    (e, i) => (kept[i] ? Math.max(1 / (1 + Math.exp(-Math.min(Math.max(e + shift, -80), 80))), floor) : 0));
  if (!map) { // blocks of pixels, so that a lone cell survives bilinear upsampling
    const [width, height] = [evidence.width * settings.cell_pixels, evidence.height * settings.cell_pixels];
    map = { data: new Float32Array(width * height), width, height };
  }
  const data = new Float32Array(map.data.length);
  for (let y = 0; y < map.height; y++) {
    const row = Math.floor((y * evidence.height) / map.height) * evidence.width;
    for (let x = 0; x < map.width; x++) {
      const cell = rescaled[row + Math.floor((x * evidence.width) / map.width)];
      data[y * map.width + x] = Math.max(map.data[y * map.width + x], cell);
    }
  }
  return { data, width: map.width, height: map.height };
}

function segmenterImageScore(probability, method) {
  if (method.method !== "top_fraction_mean") {
    throw new Error(`unknown segmenter image_score method ${method.method}; expected 'top_fraction_mean'`);
  }
  const sorted = Float32Array.from(probability).sort();
  const keep = Math.max(1, roundHalfEven((method.top_fraction ?? 0.01) * sorted.length));
  let sum = 0;
  for (let i = sorted.length - keep; i < sorted.length; i++) sum += sorted[i];
  return sum / keep;
}

/** sigmoid(logit(p) - logit(t)) in odds form: the model's own threshold sits at 0.5. */
export function calibrated(p, threshold) {
  const t = Math.min(Math.max(threshold, 1e-7), 1 - 1e-7);
  return (p * (1 - t)) / (p * (1 - t) + t * (1 - p));
}

function combineScores(classifierProbability, segmenterScore, imageScore, thresholds) {
  const parts = [];
  const weights = [];
  if (classifierProbability !== null) {
    parts.push(calibrated(classifierProbability, thresholds.artifact));
    weights.push(1);
  }
  if (segmenterScore !== null) {
    parts.push(calibrated(segmenterScore, thresholds.image));
    weights.push(classifierProbability === null ? 1 : (imageScore.weight ?? 1));
  }
  if (!parts.length) return 0;
  const total = weights.reduce((a, b) => a + b, 0);
  return parts.reduce((sum, part, i) => sum + part * weights[i], 0) / total;
}

// 8-connected components of `binary` (h x w), numbered in raster order of their first pixel.
function components(binary, width, height) {
  const labels = new Int32Array(width * height).fill(-1);
  const stack = new Int32Array(width * height);
  const found = [];
  for (let start = 0; start < binary.length; start++) {
    if (!binary[start] || labels[start] >= 0) continue;
    const id = found.length;
    const stats = { area: 0, x0: width, y0: height, x1: 0, y1: 0, pixels: [] };
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      stats.area += 1;
      stats.pixels.push(p);
      stats.x0 = Math.min(stats.x0, x);
      stats.y0 = Math.min(stats.y0, y);
      stats.x1 = Math.max(stats.x1, x + 1);
      stats.y1 = Math.max(stats.y1, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (binary[q] && labels[q] < 0) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    found.push(stats);
  }
  return found;
}

/** The caption of artifactsdk.postprocess.caption: "Localized blur in the upper left (4 % of the image)". */
export function caption(className, box, size, areaFraction, places) {
  const [width, height] = size;
  const what = className ? className[0] + className.slice(1).toLowerCase() : "Artifact";
  let place = places.whole;
  if (areaFraction < 0.5) {
    const column = Math.min(2, Math.floor((3 * (box[0] + box[2])) / 2 / width));
    const row = Math.min(2, Math.floor((3 * (box[1] + box[3])) / 2 / height));
    place = places.grid[row][column];
  }
  const percent = areaFraction * 100;
  const share = percent < 1 ? "< 1" : String(roundHalfEven(percent));
  return `${what} ${place} (${share} % of the image)`;
}

function findRegions(map, size, threshold, label, config) {
  const binary = new Uint8Array(map.data.length);
  for (let p = 0; p < binary.length; p++) binary[p] = map.data[p] >= threshold ? 1 : 0;
  const found = components(binary, map.width, map.height);
  const order = found.map((_, i) => i).sort((a, b) => found[b].area - found[a].area);
  const [width, height] = size;
  const sx = width / map.width;
  const sy = height / map.height;
  const regions = [];
  for (const k of order) {
    const c = found[k];
    const fraction = c.area / (map.width * map.height);
    if (fraction < config.min_region_fraction) continue;
    let mass = 0;
    for (const p of c.pixels) mass += map.data[p];
    const box = [Math.floor(c.x0 * sx), Math.floor(c.y0 * sy),
      Math.min(width, Math.ceil(c.x1 * sx)), Math.min(height, Math.ceil(c.y1 * sy))];
    const [key, name] = label ?? [null, null];
    regions.push({ box, area_fraction: fraction, mean_score: mass / c.area, label: key, label_name: name,
      caption: caption(name, box, size, fraction, config.caption_places) });
  }
  return regions;
}

/** One image's record, as artifactsdk.postprocess.build_detection builds it, and the map its
 * mask and regions come from. */
export function buildRecord(image, config, classProbs, imageProb, map, evidence = null) {
  const { thresholds, labels } = config;
  const trained = config.trained_classes;
  const scores = {};
  const names = {};
  const passed = [];
  if (classProbs !== null) {
    for (const spec of [...labels].sort((a, b) => a.index - b.index)) {
      scores[spec.key] = classProbs[spec.index];
      names[spec.key] = spec.name;
    }
    for (const spec of labels) {
      const eligible = !trained.length || trained.includes(spec.key);
      if (eligible && scores[spec.key] >= (thresholds.classes?.[spec.key] ?? thresholds.class)) passed.push([scores[spec.key], spec.key]);
    }
  }
  const found = passed.sort((a, b) => b[0] - a[0]).map(([, key]) => key);
  const segmenterScore = map ? segmenterImageScore(map.data, config.image_score) : null;
  const score = combineScores(imageProb, segmenterScore, config.image_score, thresholds);
  const isArtifact = score >= thresholds.decision;
  // a clean verdict outlines nothing (artifactsdk.postprocess.build_detection)
  const reported = !isArtifact ? null
    : evidence ? withEvidence(map, evidence, thresholds, config.evidence) : map;
  const label = found.length ? [found[0], names[found[0]]] : null;
  const size = [image.width, image.height];
  const record = {
    source: image.source ?? null,
    size,
    original_size: image.originalSize,
    artifact_score: score,
    is_artifact: isArtifact,
    labels: found,
    scores,
    segmented: map !== null,
    pixel_threshold: thresholds.pixel,
    regions: reported ? findRegions(reported, size, thresholds.pixel, label, config) : [],
  };
  return { record, map: reported };
}

/** The (h, w) map bilinearly resized to the image's size (artifactsdk.masks.upsample). */
export function upsample(map, width, height) {
  const data = resize(map.data, map.width, map.height, 1, width, height, "bilinear");
  return { data, width, height };
}

// -- the detector ---------------------------------------------------------------------------

const ORT_BUILDS = { wasm: "ort.wasm.min.mjs", webgpu: "ort.webgpu.min.mjs" };

/** Threads for WASM: all cores when the page is cross-origin isolated (SharedArrayBuffer), else 1. */
export function wasmThreads() {
  return globalThis.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
}

/** Throws, saying why, unless this browser has a WebGPU adapter that runs fp16 shaders. */
export async function checkWebGpu() {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  if (!adapter) throw new Error("this browser has no WebGPU adapter; use device 'wasm'");
  if (!adapter.features.has("shader-f16")) {
    throw new Error("this WebGPU adapter has no 'shader-f16' feature, which the fp16 WebGPU models need; use device 'wasm'");
  }
}

export class ArtifactDetector {
  constructor(ort, config, sessions, device) {
    this.ort = ort;
    this.config = config;
    this.sessions = sessions;
    this.device = device;
  }

  // The model inputs of `image`, by role; models with the same input spec share one tensor.
  prepare(image) {
    const made = new Map();
    const inputs = {};
    for (const role of Object.keys(this.sessions)) {
      const input = this.config.models[role].input;
      const key = JSON.stringify([input.width, input.height, input.mean, input.std, input.colour_order]);
      if (!made.has(key)) made.set(key, toTensorData(image, input));
      inputs[role] = { [input.name]: new this.ort.Tensor("float32", made.get(key), [1, 3, input.height, input.width]) };
    }
    return inputs;
  }

  /** Detect artifacts in one image (a File / Blob or a URL). Stage times in `timings` (ms). */
  async detect(source) {
    const started = performance.now();
    const image = await decodeImage(source, this.config);
    image.source = typeof source === "string" ? source : (source.name ?? null);
    const timings = { decode: performance.now() - started };
    let t = performance.now();
    const inputs = this.prepare(image);
    timings.preprocess = performance.now() - t;
    let classProbs = null;
    let imageProb = null;
    let evidence = null;
    let map = null;
    if (this.sessions.classifier) {
      t = performance.now();
      const outputs = await this.sessions.classifier.run(inputs.classifier);
      ({ classes: classProbs, image: imageProb, evidence } = classifierProbabilities(
        outputs, this.config.models.classifier.outputs));
      timings.classifier = performance.now() - t;
    }
    if (this.sessions.segmenter) {
      t = performance.now();
      const outputs = await this.sessions.segmenter.run(inputs.segmenter);
      map = segmenterProbability(outputs, this.config.models.segmenter.outputs);
      timings.segmenter = performance.now() - t;
    }
    t = performance.now();
    const { record, map: reported } = buildRecord(image, this.config, classProbs, imageProb, map, evidence);
    timings.postprocess = performance.now() - t;
    t = performance.now();
    const mask = reported ? upsample(reported, image.width, image.height) : null;
    timings.mask = performance.now() - t;
    timings.total = performance.now() - started;
    return { record, mask, image, timings };
  }

  async release() {
    await Promise.all(Object.values(this.sessions).map((session) => session.release()));
  }
}

/**
 * Load the exported models. `device`: "wasm" (the export's int8 or fp32 models, SIMD,
 * threads when cross-origin isolated) or "webgpu" (fp16: int8 QDQ is not reliable on
 * WebGPU). `threads`: WASM threads (default: wasmThreads()); ONNX Runtime Web reads it
 * once, at the first load.
 */
export async function loadDetector({ device = "wasm", threads = wasmThreads(), base = new URL(".", import.meta.url) } = {}) {
  if (!(device in ORT_BUILDS)) throw new Error(`unknown device ${device}; expected wasm or webgpu`);
  if (device === "webgpu") await checkWebGpu();
  const config = await (await fetch(new URL("detector.json", base))).json();
  const precision = device === "webgpu" ? "fp16" : config.wasm_precision;
  for (const [role, model] of Object.entries(config.models)) {
    if (!model.files[precision]) throw new Error(`the export has no ${precision} ${role}; re-run artifactsdk export-web${device === "webgpu" ? " with --webgpu on a bundle with fp32 or fp16 models" : ""}`);
  }
  const ortBase = new URL("ort/", base).href;
  const ort = await import(new URL(ORT_BUILDS[device], ortBase).href);
  ort.env.wasm.wasmPaths = ortBase;
  ort.env.wasm.numThreads = threads;
  const sessions = {};
  for (const [role, model] of Object.entries(config.models)) {
    const file = model.files[precision];
    sessions[role] = await ort.InferenceSession.create(new URL(file, base).href, {
      executionProviders: [device], graphOptimizationLevel: "all",
    });
  }
  return new ArtifactDetector(ort, config, sessions, device);
}
