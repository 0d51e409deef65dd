// Start pictures for the Edit tab, as ImageData that Generator.imageToTensor fits to the model (the core's rules,
// the same as `ddpm inpaint --image`, and a note saying what it did): a garment of the shipped Fashion-MNIST
// subset, or a file the user picked, decoded by the browser so that JPEG or WebP work as well as PNG.
import { GARMENTS, garmentPixels, SIDE } from './explorer_images.js';

export { GARMENTS };

/**
 * The first garment of class `label` for a model of h×w: { imageData, caption }. A model a little larger than
 * 28×28 (the shipped one is 32×32) was trained on the 28×28 images padded with background, so the garment is
 * padded the same way; resizing it instead would show the model a garment larger than any it learnt. Other sizes
 * get the 28×28 picture and the core resizes it.
 */
export async function garmentPicture(label, h, w) {
  const pixels = await garmentPixels(label);
  const pad = h >= SIDE && w >= SIDE && h <= SIDE + 8 && w <= SIDE + 8;
  const [ph, pw] = pad ? [h, w] : [SIDE, SIDE];
  const top = (ph - SIDE) >> 1;
  const left = (pw - SIDE) >> 1;
  const img = new ImageData(pw, ph);
  for (let p = 3; p < img.data.length; p += 4) img.data[p] = 255;  // opaque black background
  for (let y = 0; y < SIDE; ++y) {
    for (let x = 0; x < SIDE; ++x) {
      const v = pixels[y * SIDE + x];
      img.data.set([v, v, v], 4 * ((top + y) * pw + left + x));
    }
  }
  const fitted = pad && (h !== SIDE || w !== SIDE) ? `, padded to ${w}×${h} as the model was trained` : '';
  return { imageData: img, caption: `Fashion-MNIST ${GARMENTS[label]} (28×28${fitted})` };
}

/** A picture file the user chose: { imageData, caption }, or an Error that says the file is not an image. */
export async function filePicture(file) {
  let bitmap;
  try {
    // No colour management or premultiplied alpha: the pixels as stored, as the CLI reads a PNG.
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const kind = file.type ? ` (${file.type})` : '';
    throw new Error(`"${file.name}"${kind} is not a picture this browser can read. Choose a PNG, JPEG, WebP or GIF file.`);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return { imageData: ctx.getImageData(0, 0, bitmap.width, bitmap.height), caption: `${file.name} (${bitmap.width}×${bitmap.height})` };
  } finally {
    bitmap.close();
  }
}
