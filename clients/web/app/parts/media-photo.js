// A picture chosen on the phone, made fit to send: decoded and drawn again on a canvas
// (at most 1600 px on the long side, JPEG at a quality that keeps it under ~300 KB). Only
// the pixels survive a canvas, so EXIF (the place a photo was taken, the phone's serial
// number) never leaves the device. A tiny preview (a few hundred bytes) travels inside the
// message, so the other person sees a blurred outline before the picture itself arrives.
// No network, no storage.

import { b64url } from "../../lib/bytes.js";

export const MAX_SIDE = 1600;
export const TARGET_BYTES = 300_000;
export const PREVIEW_SIDE = 24;
export const PREVIEW_MAX_BYTES = 4096;
const QUALITIES = [0.82, 0.72, 0.62, 0.5, 0.4];
const TYPE = "image/jpeg"; // every phone and every library decodes it

/** The scale that fits `width` × `height` inside `side` px on the long side (never up). */
export function fit(width, height, side) {
  const scale = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

function canvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const node = document.createElement("canvas");
  node.width = width;
  node.height = height;
  return node;
}

function encode(surface, quality) {
  if (surface.convertToBlob) return surface.convertToBlob({ type: TYPE, quality });
  return new Promise((resolve, reject) =>
    surface.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), TYPE, quality),
  );
}

function draw(bitmap, size) {
  const surface = canvas(size.width, size.height);
  const context = surface.getContext("2d");
  // JPEG has no transparency: a transparent PNG gets a white background, not black.
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size.width, size.height);
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, size.width, size.height);
  return surface;
}

/**
 * `file` (a Blob the person picked) → {bytes, type, width, height, preview}; `preview` is
 * a JPEG of at most PREVIEW_SIDE px (≤ 4 KB), base64url as the message carries it.
 * Throws Error("not_a_picture") when the browser cannot decode it.
 */
export async function prepare(file) {
  let bitmap;
  try {
    // "from-image": a photo taken upright stays upright after its EXIF is gone.
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new Error("not_a_picture");
  }
  try {
    const size = fit(bitmap.width, bitmap.height, MAX_SIDE);
    const surface = draw(bitmap, size);
    let blob = null;
    for (const quality of QUALITIES) {
      blob = await encode(surface, quality);
      if (blob.size <= TARGET_BYTES) break;
    }
    const small = draw(bitmap, fit(bitmap.width, bitmap.height, PREVIEW_SIDE));
    const tiny = new Uint8Array(await (await encode(small, 0.5)).arrayBuffer());
    return {
      bytes: new Uint8Array(await blob.arrayBuffer()),
      type: TYPE,
      width: size.width,
      height: size.height,
      preview: tiny.length <= PREVIEW_MAX_BYTES ? b64url(tiny) : null,
    };
  } finally {
    bitmap.close?.();
  }
}

/** A hidden file chooser for pictures. Without `capture` a phone offers both the camera
 * and the gallery; with it many phones go straight to the camera. */
export function choosePicture(accept = "image/*") {
  return new Promise((resolve) => {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = accept;
    input.hidden = true;
    input.addEventListener("change", () => {
      resolve(input.files?.[0] ?? null);
      input.remove();
    });
    input.addEventListener("cancel", () => {
      resolve(null);
      input.remove();
    });
    document.body.append(input);
    input.click();
  });
}
