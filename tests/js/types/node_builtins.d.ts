// Node's built-ins that the README's examples use, for types.test.js where @types/node is not installed (it comes
// with the devDependencies, so normally it is).
declare module 'node:fs' {
  export function writeFileSync(path: string, data: string | Uint8Array): void;
}
