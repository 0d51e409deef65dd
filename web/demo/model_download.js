// The Generate tab's model download line: while a model URL's files arrive (Generator.create's onDownload) a
// <progress> and "Downloading model: 4.2 / 11.0 MB"; once loaded, where the files came from: the network (and, where
// the page has the Cache API, kept in this browser's cache for the next visit) or that cache, with a "Download
// again" button that forgets the kept copy and loads the model anew (for a model changed at the same URL).
const $ = (id) => document.getElementById(id);
const MB = (n) => (n / 1e6).toFixed(1);

export class DownloadLine {
  #files = new Map();  // file -> { loaded, total, fromCache }
  #frame = 0;

  constructor() {
    this.line = $('gen-download');
    this.bar = $('gen-download-progress');
    this.text = $('gen-download-text');
    this.again = $('gen-download-again');
  }

  /** A new load of a model URL: returns its onDownload. */
  start() {
    this.#files.clear();
    this.bar.hidden = false;
    this.bar.value = 0;
    this.again.hidden = true;
    this.text.textContent = 'Downloading model…';
    this.line.dataset.state = 'downloading';
    this.line.hidden = false;
    return (p) => {
      this.#files.set(p.file, p);
      this.#frame ||= requestAnimationFrame(() => this.#draw());  // events come per chunk: draw once a frame
    };
  }

  #sums() {
    let loaded = 0;
    let total = 0;
    let cached = 0;
    let known = true;
    for (const f of this.#files.values()) {
      if (f.fromCache) {
        cached += f.loaded;
      } else {
        loaded += f.loaded;
        if (f.total === null) known = false;
        else total += f.total;
      }
    }
    return { loaded, total: known ? total : null, cached };
  }

  #draw() {
    this.#frame = 0;
    if (this.line.dataset.state !== 'downloading') return;
    const { loaded, total, cached } = this.#sums();
    if (loaded === 0 && cached > 0) {
      this.text.textContent = `Reading the model from this browser's cache: ${MB(cached)} MB`;
      this.bar.value = 1;
    } else if (total === null) {
      this.text.textContent = `Downloading model: ${MB(loaded)} MB`;
      this.bar.removeAttribute('value');  // indeterminate: the size is not known
    } else {
      this.text.textContent = `Downloading model: ${MB(loaded)} / ${MB(total)} MB`;
      this.bar.value = total ? loaded / total : 1;
    }
  }

  /** The load is done: says where the model's files came from. */
  finish() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    const { loaded, cached } = this.#sums();
    this.bar.hidden = true;
    const kept = typeof globalThis.caches === 'object' ? ", kept in this browser's cache for the next visit" : '';
    if (loaded === 0 && cached > 0) {
      this.text.textContent = `Model loaded from this browser's cache (${MB(cached)} MB): nothing downloaded.`;
      this.line.dataset.state = 'cache';
      this.again.hidden = false;
    } else {
      this.text.textContent = `Model downloaded: ${MB(loaded)} MB${cached ? ` (and ${MB(cached)} MB from this browser's cache)` : ''}${kept}.`;
      this.line.dataset.state = 'network';
      this.again.hidden = true;
    }
  }

  /** A load that failed, or a model that is not a URL (a folder of files): no line. */
  hide() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.line.hidden = true;
    this.line.dataset.state = '';
  }
}
