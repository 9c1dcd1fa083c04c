// The few WebAssembly globals the int8 scan uses (workers/int8-scan.ts) and its memory's owner
// (store/quantized-vectors.ts). Node 20 has them; @types/node 20 does not declare them, and the
// DOM library that does would bring in the browser's globals.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
