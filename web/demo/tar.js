// An uncompressed POSIX ustar archive of { path: string | Uint8Array } as a Blob: how the Train tab hands
// a pipeline folder to the user in one download (`tar xf` unpacks it).
export function tar(files) {
  const enc = new TextEncoder();
  const blocks = [];
  const octal = (n, width) => n.toString(8).padStart(width - 1, '0') + '\0';
  const mtime = Math.floor(Date.now() / 1000);
  for (const [name, contents] of Object.entries(files)) {
    const body = typeof contents === 'string' ? enc.encode(contents) : contents;
    const header = new Uint8Array(512);
    const put = (text, offset) => header.set(enc.encode(text), offset);
    if (enc.encode(name).length > 100) throw new Error(`tar: the name ${name} is longer than 100 bytes`);
    put(name, 0);
    put(octal(0o644, 8), 100);
    put(octal(0, 8), 108);
    put(octal(0, 8), 116);
    put(octal(body.length, 12), 124);
    put(octal(mtime, 12), 136);
    put('        ', 148);  // the checksum counts itself as spaces
    put('0', 156);
    put('ustar\0' + '00', 257);
    const sum = header.reduce((a, b) => a + b, 0);
    put(octal(sum, 7) + ' ', 148);
    blocks.push(header, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return new Blob(blocks, { type: 'application/x-tar' });
}
