// What the demo's tabs share: the page's one Generator (a Worker holding the model), which the Generate tab loads
// (the shipped model or the user's folder) and the Edit tab uses too, so that the page holds one copy of the model
// and one worker; and the Generate tab's last batch, which the Edit tab offers as start pictures.
// Tabs listen with session.on('model' | 'batch', fn).

const events = new EventTarget();

export const session = {
  /** The loaded Generator, or null while none is (first load, or a worker that died and could not be reloaded). */
  generator: null,
  modelName: '',
  /** One name per real class of the model (the null class excluded); empty for an unconditional model. */
  classNames: [],
  /** The Generate tab's last result: { images: Tensor [N, C, H, W], labels: number[] | null (one per image) }. */
  lastBatch: null,
  /** Set by the Generate tab: after a failed run, reloads the model if the worker died with it. */
  recover: async () => {},
  on(type, fn) {
    events.addEventListener(type, fn);
  },
};

/** A new Generator (or null) is in use; the previous model's batch no longer fits it. */
export function publishModel(generator, modelName = '', classNames = []) {
  Object.assign(session, { generator, modelName, classNames, lastBatch: null });
  events.dispatchEvent(new Event('model'));
}

/** The Generate tab made `images`; `classLabels` as generate() took them (one, one per image, or none). */
export function publishBatch(images, classLabels) {
  const n = images.shape[0];
  const labels = !classLabels ? null : Array.from({ length: n }, (_, i) => classLabels[classLabels.length === 1 ? 0 : i]);
  session.lastBatch = { images, labels };
  events.dispatchEvent(new Event('batch'));
}
