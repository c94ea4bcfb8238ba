/**
 * A WebGL2 context that renders nothing, for running MediaPipe Tasks' CPU delegate in plain Node.js.
 *
 * With the CPU delegate, MediaPipe's graph still receives every image as a WebGL texture: the JavaScript side
 * uploads the pixels with `texImage2D`, the wasm wraps that texture, and the CPU graph reads it back with
 * `readPixels` from a framebuffer bound to it. Nothing is drawn. At start-up the wasm also queries limits, creates
 * shaders, programs and framebuffers and checks their status, and waits on sync objects. This class does exactly
 * that much: it keeps each texture's pixels (so readPixels returns what was uploaded), answers the queries with
 * plausible values, and keeps the state that calls set. Everything that would need real rendering (draw calls,
 * clears, blits, copies from the framebuffer, 3D/array textures, pixel buffers) throws an Error that names the call,
 * so a MediaPipe upgrade that starts to rely on the GPU fails loudly instead of returning garbage.
 *
 * Only the adapter (mediapipe-hand-landmarker.ts) creates it; nothing here touches globals.
 */

/** The WebGL constants this shim reads or answers with (values from the WebGL 2 specification). */
export const GL = {
  NO_ERROR: 0,
  TRIANGLES: 0x0004,
  TRIANGLE_STRIP: 0x0005,
  TRIANGLE_FAN: 0x0006,
  DEPTH_BUFFER_BIT: 0x0100,
  STENCIL_BUFFER_BIT: 0x0400,
  COLOR_BUFFER_BIT: 0x4000,
  CULL_FACE: 0x0b44,
  DEPTH_TEST: 0x0b71,
  STENCIL_TEST: 0x0b90,
  DITHER: 0x0bd0,
  BLEND: 0x0be2,
  SCISSOR_TEST: 0x0c11,
  VIEWPORT: 0x0ba2,
  UNPACK_ALIGNMENT: 0x0cf5,
  PACK_ALIGNMENT: 0x0d05,
  MAX_TEXTURE_SIZE: 0x0d33,
  MAX_VIEWPORT_DIMS: 0x0d3a,
  SUBPIXEL_BITS: 0x0d50,
  RED_BITS: 0x0d52,
  GREEN_BITS: 0x0d53,
  BLUE_BITS: 0x0d54,
  ALPHA_BITS: 0x0d55,
  DEPTH_BITS: 0x0d56,
  STENCIL_BITS: 0x0d57,
  TEXTURE_2D: 0x0de1,
  UNSIGNED_BYTE: 0x1401,
  FLOAT: 0x1406,
  HALF_FLOAT: 0x140b,
  DEPTH_COMPONENT: 0x1902,
  RED: 0x1903,
  ALPHA: 0x1906,
  RGB: 0x1907,
  RGBA: 0x1908,
  LUMINANCE: 0x1909,
  VENDOR: 0x1f00,
  RENDERER: 0x1f01,
  VERSION: 0x1f02,
  EXTENSIONS: 0x1f03,
  NEAREST: 0x2600,
  LINEAR: 0x2601,
  TEXTURE_MAG_FILTER: 0x2800,
  TEXTURE_MIN_FILTER: 0x2801,
  TEXTURE_WRAP_S: 0x2802,
  TEXTURE_WRAP_T: 0x2803,
  CLAMP_TO_EDGE: 0x812f,
  RG: 0x8227,
  R8: 0x8229,
  RG8: 0x822b,
  R16F: 0x822d,
  R32F: 0x822e,
  RG16F: 0x822f,
  RG32F: 0x8230,
  RGBA8: 0x8058,
  RGB8: 0x8051,
  RGBA32F: 0x8814,
  RGB32F: 0x8815,
  RGBA16F: 0x881a,
  RGB16F: 0x881b,
  MAJOR_VERSION: 0x821b,
  MINOR_VERSION: 0x821c,
  TEXTURE0: 0x84c0,
  ACTIVE_TEXTURE: 0x84e0,
  MAX_RENDERBUFFER_SIZE: 0x84e8,
  TEXTURE_BINDING_2D: 0x8069,
  MAX_VERTEX_ATTRIBS: 0x8869,
  MAX_TEXTURE_IMAGE_UNITS: 0x8872,
  ARRAY_BUFFER: 0x8892,
  ELEMENT_ARRAY_BUFFER: 0x8893,
  ARRAY_BUFFER_BINDING: 0x8894,
  PIXEL_PACK_BUFFER: 0x88eb,
  PIXEL_UNPACK_BUFFER: 0x88ec,
  MAX_ARRAY_TEXTURE_LAYERS: 0x88ff,
  MAX_3D_TEXTURE_SIZE: 0x8073,
  FRAGMENT_SHADER: 0x8b30,
  VERTEX_SHADER: 0x8b31,
  MAX_VERTEX_UNIFORM_VECTORS: 0x8dfb,
  MAX_VARYING_VECTORS: 0x8dfc,
  MAX_COMBINED_TEXTURE_IMAGE_UNITS: 0x8b4d,
  MAX_VERTEX_TEXTURE_IMAGE_UNITS: 0x8b4c,
  MAX_FRAGMENT_UNIFORM_VECTORS: 0x8dfd,
  SHADER_TYPE: 0x8b4f,
  DELETE_STATUS: 0x8b80,
  COMPILE_STATUS: 0x8b81,
  LINK_STATUS: 0x8b82,
  VALIDATE_STATUS: 0x8b83,
  ATTACHED_SHADERS: 0x8b85,
  ACTIVE_UNIFORMS: 0x8b86,
  ACTIVE_ATTRIBUTES: 0x8b89,
  SHADING_LANGUAGE_VERSION: 0x8b8c,
  CURRENT_PROGRAM: 0x8b8d,
  ACTIVE_UNIFORM_BLOCKS: 0x8a36,
  MAX_UNIFORM_BUFFER_BINDINGS: 0x8a2f,
  MAX_UNIFORM_BLOCK_SIZE: 0x8a30,
  IMPLEMENTATION_COLOR_READ_TYPE: 0x8b9a,
  IMPLEMENTATION_COLOR_READ_FORMAT: 0x8b9b,
  READ_FRAMEBUFFER: 0x8ca8,
  DRAW_FRAMEBUFFER: 0x8ca9,
  FRAMEBUFFER_BINDING: 0x8ca6,
  FRAMEBUFFER_COMPLETE: 0x8cd5,
  FRAMEBUFFER_INCOMPLETE_MISSING_ATTACHMENT: 0x8cd7,
  MAX_COLOR_ATTACHMENTS: 0x8cdf,
  COLOR_ATTACHMENT0: 0x8ce0,
  FRAMEBUFFER: 0x8d40,
  RENDERBUFFER: 0x8d41,
  MAX_SAMPLES: 0x8d57,
  MAX_DRAW_BUFFERS: 0x8824,
  UNPACK_FLIP_Y_WEBGL: 0x9240,
  UNPACK_PREMULTIPLY_ALPHA_WEBGL: 0x9241,
  UNPACK_COLORSPACE_CONVERSION_WEBGL: 0x9243,
  UNPACK_ROW_LENGTH: 0x0cf2,
  UNPACK_SKIP_ROWS: 0x0cf3,
  UNPACK_SKIP_PIXELS: 0x0cf4,
  PACK_ROW_LENGTH: 0x0d02,
  PACK_SKIP_ROWS: 0x0d03,
  PACK_SKIP_PIXELS: 0x0d04,
  SYNC_GPU_COMMANDS_COMPLETE: 0x9117,
  SYNC_STATUS: 0x9114,
  SYNC_CONDITION: 0x9113,
  SYNC_FLAGS: 0x9115,
  OBJECT_TYPE: 0x9112,
  SYNC_FENCE: 0x9116,
  SIGNALED: 0x9119,
  ALREADY_SIGNALED: 0x911a,
  TIMEOUT_EXPIRED: 0x911b,
  CONDITION_SATISFIED: 0x911c,
  WAIT_FAILED: 0x911d,
  MAX_CLIENT_WAIT_TIMEOUT_WEBGL: 0x9247,
} as const;

/** WebGL2 calls that would need real rendering or GPU-side data movement. Each throws, naming itself. */
export const UNSUPPORTED_WEBGL_CALLS: readonly string[] = [
  'drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements', 'drawBuffers',
  'clear', 'clearBufferfv', 'clearBufferiv', 'clearBufferuiv', 'clearBufferfi', 'blitFramebuffer',
  'copyTexImage2D', 'copyTexSubImage2D', 'copyTexSubImage3D', 'copyBufferSubData', 'getBufferSubData',
  'texImage3D', 'texSubImage3D', 'texStorage3D', 'framebufferTextureLayer', 'compressedTexImage2D',
  'compressedTexSubImage2D', 'compressedTexImage3D', 'compressedTexSubImage3D', 'generateMipmap',
  'renderbufferStorage', 'renderbufferStorageMultisample', 'framebufferRenderbuffer', 'readBuffer',
  'invalidateFramebuffer', 'invalidateSubFramebuffer', 'beginTransformFeedback', 'endTransformFeedback',
  'beginQuery', 'endQuery', 'vertexAttribDivisor',
];

/** An ImageData-like pixel source: RGBA, 8 bits per channel, rows top to bottom. */
export interface RgbaImageLike {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** Bytes per pixel of an (internal) format and type the shim stores. */
function bytesPerPixel(format: number, type: number): number | undefined {
  const channels: Record<number, number> = { [GL.RGBA]: 4, [GL.RGB]: 3, [GL.RG]: 2, [GL.RED]: 1, [GL.ALPHA]: 1, [GL.LUMINANCE]: 1 };
  const size: Record<number, number> = { [GL.UNSIGNED_BYTE]: 1, [GL.HALF_FLOAT]: 2, [GL.FLOAT]: 4 };
  const c = channels[format];
  const s = size[type];
  return c === undefined || s === undefined ? undefined : c * s;
}

/** Format and type of a sized internal format (texStorage2D). */
const SIZED_FORMATS: Record<number, { format: number; type: number }> = {
  [GL.RGBA8]: { format: GL.RGBA, type: GL.UNSIGNED_BYTE },
  [GL.RGB8]: { format: GL.RGB, type: GL.UNSIGNED_BYTE },
  [GL.R8]: { format: GL.RED, type: GL.UNSIGNED_BYTE },
  [GL.RG8]: { format: GL.RG, type: GL.UNSIGNED_BYTE },
  [GL.R16F]: { format: GL.RED, type: GL.HALF_FLOAT },
  [GL.RG16F]: { format: GL.RG, type: GL.HALF_FLOAT },
  [GL.RGBA16F]: { format: GL.RGBA, type: GL.HALF_FLOAT },
  [GL.RGB16F]: { format: GL.RGB, type: GL.HALF_FLOAT },
  [GL.R32F]: { format: GL.RED, type: GL.FLOAT },
  [GL.RG32F]: { format: GL.RG, type: GL.FLOAT },
  [GL.RGBA32F]: { format: GL.RGBA, type: GL.FLOAT },
  [GL.RGB32F]: { format: GL.RGB, type: GL.FLOAT },
};

/** A texture: its size, format and pixels (level 0 only; rows in upload order). */
export class FakeTexture {
  width = 0;
  height = 0;
  format = GL.RGBA as number;
  type = GL.UNSIGNED_BYTE as number;
  pixels = new Uint8Array(0);
  readonly parameters = new Map<number, number>();
}
export class FakeFramebuffer {
  colorAttachment: FakeTexture | null = null;
}
export class FakeBuffer {
  byteLength = 0;
}
export class FakeShader {
  source = '';
  constructor(readonly type: number) {}
}
export class FakeProgram {
  readonly shaders = new Set<FakeShader>();
  readonly attributes = new Map<string, number>();
}
export class FakeVertexArray {}
export class FakeSync {}
export class FakeUniformLocation {
  constructor(readonly name: string) {}
}

type Bindable = FakeTexture | FakeFramebuffer | FakeBuffer | FakeProgram | FakeVertexArray | null;

function hex(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

function unsupported(call: string, why = 'it needs real GPU rendering'): Error {
  return new Error(
    `CPU-only WebGL2 shim: gl.${call}() is not supported because ${why}. MediaPipe's CPU delegate should only upload ` +
      'textures and read them back; a MediaPipe version that asks for this is not supported (keep @mediapipe/tasks-vision at 0.10.35).',
  );
}

/** What the wasm sees as its canvas: a size and {@link FakeWebGl2Context} from getContext('webgl2'). */
export class FakeCanvas {
  width = 1;
  height = 1;
  private context: FakeWebGl2Context | undefined;

  getContext(kind: string): FakeWebGl2Context | null {
    if (kind !== 'webgl2') return null;
    this.context ??= new FakeWebGl2Context(this);
    return this.context;
  }
}

/** The context (see the module comment). Method names and signatures follow WebGL2RenderingContext. */
export class FakeWebGl2Context {
  readonly drawingBufferWidth = 1;
  readonly drawingBufferHeight = 1;
  private error: number = GL.NO_ERROR;
  private activeUnit = 0;
  private readonly textureUnits: Array<FakeTexture | null> = [];
  private drawFramebuffer: FakeFramebuffer | null = null;
  private readFramebuffer: FakeFramebuffer | null = null;
  private program: FakeProgram | null = null;
  private readonly buffers = new Map<number, FakeBuffer | null>();
  private vertexArray: FakeVertexArray | null = null;
  private viewportBox = new Int32Array([0, 0, 1, 1]);
  private readonly pixelStore = new Map<number, number | boolean>([
    [GL.UNPACK_ALIGNMENT, 4],
    [GL.PACK_ALIGNMENT, 4],
    [GL.UNPACK_FLIP_Y_WEBGL, false],
    [GL.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false],
    [GL.UNPACK_ROW_LENGTH, 0],
    [GL.UNPACK_SKIP_ROWS, 0],
    [GL.UNPACK_SKIP_PIXELS, 0],
    [GL.PACK_ROW_LENGTH, 0],
    [GL.PACK_SKIP_ROWS, 0],
    [GL.PACK_SKIP_PIXELS, 0],
  ]);
  private readonly capabilities = new Set<number>([GL.DITHER]);

  constructor(readonly canvas: FakeCanvas) {
    Object.assign(this, GL);
    for (const call of UNSUPPORTED_WEBGL_CALLS) {
      Object.defineProperty(this, call, {
        value: () => {
          throw unsupported(call);
        },
        enumerable: false,
      });
    }
  }

  // ---- queries -------------------------------------------------------------------------------------------------

  getParameter(pname: number): unknown {
    switch (pname) {
      case GL.VENDOR:
        return 'promotion-handpose';
      case GL.RENDERER:
        return 'CPU-only WebGL2 shim (no rendering)';
      case GL.VERSION:
        return 'WebGL 2.0 (CPU-only shim)';
      case GL.SHADING_LANGUAGE_VERSION:
        return 'WebGL GLSL ES 3.00 (CPU-only shim)';
      case GL.MAJOR_VERSION:
        return 3;
      case GL.MINOR_VERSION:
        return 0;
      case GL.MAX_TEXTURE_SIZE:
      case GL.MAX_RENDERBUFFER_SIZE:
        return 16384;
      case GL.MAX_VIEWPORT_DIMS:
        return new Int32Array([16384, 16384]);
      case GL.MAX_3D_TEXTURE_SIZE:
      case GL.MAX_ARRAY_TEXTURE_LAYERS:
        return 2048;
      case GL.MAX_VERTEX_ATTRIBS:
      case GL.MAX_TEXTURE_IMAGE_UNITS:
      case GL.MAX_VERTEX_TEXTURE_IMAGE_UNITS:
        return 16;
      case GL.MAX_COMBINED_TEXTURE_IMAGE_UNITS:
        return 32;
      case GL.MAX_VERTEX_UNIFORM_VECTORS:
      case GL.MAX_FRAGMENT_UNIFORM_VECTORS:
        return 1024;
      case GL.MAX_VARYING_VECTORS:
        return 30;
      case GL.MAX_COLOR_ATTACHMENTS:
      case GL.MAX_DRAW_BUFFERS:
        return 8;
      case GL.MAX_SAMPLES:
        return 4;
      case GL.MAX_UNIFORM_BUFFER_BINDINGS:
        return 24;
      case GL.MAX_UNIFORM_BLOCK_SIZE:
        return 65536;
      case GL.MAX_CLIENT_WAIT_TIMEOUT_WEBGL:
        return 0;
      case GL.SUBPIXEL_BITS:
        return 8;
      case GL.RED_BITS:
      case GL.GREEN_BITS:
      case GL.BLUE_BITS:
      case GL.ALPHA_BITS:
        return 8;
      case GL.DEPTH_BITS:
      case GL.STENCIL_BITS:
        return 0;
      case GL.IMPLEMENTATION_COLOR_READ_FORMAT:
        return GL.RGBA;
      case GL.IMPLEMENTATION_COLOR_READ_TYPE:
        return GL.UNSIGNED_BYTE;
      case GL.ACTIVE_TEXTURE:
        return GL.TEXTURE0 + this.activeUnit;
      case GL.TEXTURE_BINDING_2D:
        return this.textureUnits[this.activeUnit] ?? null;
      case GL.FRAMEBUFFER_BINDING:
        return this.drawFramebuffer;
      case GL.CURRENT_PROGRAM:
        return this.program;
      case GL.ARRAY_BUFFER_BINDING:
        return this.buffers.get(GL.ARRAY_BUFFER) ?? null;
      case GL.VIEWPORT:
        return new Int32Array(this.viewportBox);
      default: {
        const stored = this.pixelStore.get(pname);
        if (stored !== undefined) return stored;
        if (this.capabilities.has(pname) || [GL.BLEND, GL.CULL_FACE, GL.DEPTH_TEST, GL.STENCIL_TEST, GL.SCISSOR_TEST].includes(pname as never)) {
          return this.capabilities.has(pname);
        }
        throw unsupported(`getParameter(${hex(pname)})`, 'the shim does not know that parameter');
      }
    }
  }

  getExtension(_name: string): null {
    // No extension: the CPU path needs none, and advertising one would invite GPU code paths.
    return null;
  }

  getSupportedExtensions(): string[] {
    return [];
  }

  getContextAttributes(): Record<string, unknown> {
    return {
      alpha: true,
      depth: false,
      stencil: false,
      antialias: false,
      premultipliedAlpha: true,
      preserveDrawingBuffer: false,
      powerPreference: 'default',
      failIfMajorPerformanceCaveat: false,
      desynchronized: false,
    };
  }

  isContextLost(): boolean {
    return false;
  }

  getError(): number {
    const e = this.error;
    this.error = GL.NO_ERROR;
    return e;
  }

  getShaderPrecisionFormat(..._args: unknown[]): { rangeMin: number; rangeMax: number; precision: number } {
    return { rangeMin: 127, rangeMax: 127, precision: 23 };
  }

  // ---- state that rendering would use; kept, never acted on ----------------------------------------------------

  enable(cap: number): void {
    this.capabilities.add(cap);
  }
  disable(cap: number): void {
    this.capabilities.delete(cap);
  }
  isEnabled(cap: number): boolean {
    return this.capabilities.has(cap);
  }
  viewport(x: number, y: number, width: number, height: number): void {
    this.viewportBox = new Int32Array([x, y, width, height]);
  }
  scissor(..._args: unknown[]): void {}
  colorMask(..._args: unknown[]): void {}
  depthMask(..._args: unknown[]): void {}
  clearColor(..._args: unknown[]): void {}
  clearDepth(..._args: unknown[]): void {}
  blendFunc(..._args: unknown[]): void {}
  blendFuncSeparate(..._args: unknown[]): void {}
  blendEquation(..._args: unknown[]): void {}
  blendEquationSeparate(..._args: unknown[]): void {}
  lineWidth(..._args: unknown[]): void {}
  hint(..._args: unknown[]): void {}
  flush(..._args: unknown[]): void {}
  finish(..._args: unknown[]): void {}

  pixelStorei(pname: number, value: number | boolean): void {
    if (!this.pixelStore.has(pname) && pname !== GL.UNPACK_COLORSPACE_CONVERSION_WEBGL) {
      throw unsupported(`pixelStorei(${hex(pname)})`, 'the shim does not know that parameter');
    }
    this.pixelStore.set(pname, value);
  }

  // ---- shaders and programs: compiled and linked as far as anyone asks; never run ----------------------------

  createShader(type: number): FakeShader {
    return new FakeShader(type);
  }
  shaderSource(shader: FakeShader, source: string): void {
    shader.source = source;
  }
  compileShader(..._args: unknown[]): void {}
  getShaderSource(shader: FakeShader): string {
    return shader.source;
  }
  getShaderParameter(shader: FakeShader, pname: number): unknown {
    if (pname === GL.COMPILE_STATUS) return true;
    if (pname === GL.DELETE_STATUS) return false;
    if (pname === GL.SHADER_TYPE) return shader.type;
    throw unsupported(`getShaderParameter(${hex(pname)})`, 'the shim does not know that parameter');
  }
  getShaderInfoLog(..._args: unknown[]): string {
    return '';
  }
  deleteShader(..._args: unknown[]): void {}
  createProgram(): FakeProgram {
    return new FakeProgram();
  }
  attachShader(program: FakeProgram, shader: FakeShader): void {
    program.shaders.add(shader);
  }
  detachShader(program: FakeProgram, shader: FakeShader): void {
    program.shaders.delete(shader);
  }
  bindAttribLocation(program: FakeProgram, index: number, name: string): void {
    program.attributes.set(name, index);
  }
  linkProgram(..._args: unknown[]): void {}
  validateProgram(..._args: unknown[]): void {}
  getProgramParameter(program: FakeProgram, pname: number): unknown {
    switch (pname) {
      case GL.LINK_STATUS:
      case GL.VALIDATE_STATUS:
        return true;
      case GL.DELETE_STATUS:
        return false;
      case GL.ATTACHED_SHADERS:
        return program.shaders.size;
      case GL.ACTIVE_UNIFORMS:
      case GL.ACTIVE_ATTRIBUTES:
      case GL.ACTIVE_UNIFORM_BLOCKS:
        // Nothing is compiled, so nothing is active; locations are still handed out by name.
        return 0;
      default:
        throw unsupported(`getProgramParameter(${hex(pname)})`, 'the shim does not know that parameter');
    }
  }
  getProgramInfoLog(..._args: unknown[]): string {
    return '';
  }
  deleteProgram(..._args: unknown[]): void {}
  useProgram(program: FakeProgram | null): void {
    this.program = program;
  }
  getAttribLocation(program: FakeProgram, name: string): number {
    return program.attributes.get(name) ?? -1;
  }
  getUniformLocation(_program: FakeProgram, name: string): FakeUniformLocation {
    return new FakeUniformLocation(name);
  }
  getUniformBlockIndex(..._args: unknown[]): number {
    return 0;
  }
  uniformBlockBinding(..._args: unknown[]): void {}
  uniform1f(..._args: unknown[]): void {}
  uniform2f(..._args: unknown[]): void {}
  uniform3f(..._args: unknown[]): void {}
  uniform4f(..._args: unknown[]): void {}
  uniform1i(..._args: unknown[]): void {}
  uniform2i(..._args: unknown[]): void {}
  uniform1fv(..._args: unknown[]): void {}
  uniform2fv(..._args: unknown[]): void {}
  uniform3fv(..._args: unknown[]): void {}
  uniform4fv(..._args: unknown[]): void {}
  uniform1iv(..._args: unknown[]): void {}
  uniform4iv(..._args: unknown[]): void {}
  uniformMatrix2fv(..._args: unknown[]): void {}
  uniformMatrix3fv(..._args: unknown[]): void {}
  uniformMatrix4fv(..._args: unknown[]): void {}

  // ---- buffers and vertex arrays: kept for the draw calls that never come ------------------------------------

  createBuffer(): FakeBuffer {
    return new FakeBuffer();
  }
  bindBuffer(target: number, buffer: FakeBuffer | null): void {
    if (target === GL.PIXEL_PACK_BUFFER || target === GL.PIXEL_UNPACK_BUFFER) {
      if (buffer !== null) throw unsupported('bindBuffer(PIXEL_PACK/UNPACK_BUFFER)', 'pixel buffer objects move data on the GPU');
    }
    this.buffers.set(target, buffer);
  }
  bindBufferBase(..._args: unknown[]): void {}
  bufferData(target: number, sizeOrData: number | ArrayBufferView | ArrayBuffer | null): void {
    const buffer = this.buffers.get(target);
    if (buffer) buffer.byteLength = typeof sizeOrData === 'number' ? sizeOrData : (sizeOrData?.byteLength ?? 0);
  }
  bufferSubData(..._args: unknown[]): void {}
  deleteBuffer(..._args: unknown[]): void {}
  createVertexArray(): FakeVertexArray {
    return new FakeVertexArray();
  }
  bindVertexArray(vao: FakeVertexArray | null): void {
    this.vertexArray = vao;
  }
  deleteVertexArray(..._args: unknown[]): void {}
  enableVertexAttribArray(..._args: unknown[]): void {}
  disableVertexAttribArray(..._args: unknown[]): void {}
  vertexAttribPointer(..._args: unknown[]): void {}

  // ---- sync objects: everything is done the moment it is asked --------------------------------------------------

  fenceSync(..._args: unknown[]): FakeSync {
    return new FakeSync();
  }
  clientWaitSync(..._args: unknown[]): number {
    return GL.ALREADY_SIGNALED;
  }
  waitSync(..._args: unknown[]): void {}
  getSyncParameter(_sync: FakeSync, pname: number): number {
    if (pname === GL.SYNC_STATUS) return GL.SIGNALED;
    if (pname === GL.OBJECT_TYPE) return GL.SYNC_FENCE;
    if (pname === GL.SYNC_CONDITION) return GL.SYNC_GPU_COMMANDS_COMPLETE;
    if (pname === GL.SYNC_FLAGS) return 0;
    throw unsupported(`getSyncParameter(${hex(pname)})`, 'the shim does not know that parameter');
  }
  deleteSync(..._args: unknown[]): void {}
  isSync(sync: unknown): boolean {
    return sync instanceof FakeSync;
  }

  // ---- textures: pixels are kept ---------------------------------------------------------------------------------

  createTexture(): FakeTexture {
    return new FakeTexture();
  }
  deleteTexture(..._args: unknown[]): void {}
  isTexture(texture: unknown): boolean {
    return texture instanceof FakeTexture;
  }
  activeTexture(unit: number): void {
    this.activeUnit = unit - GL.TEXTURE0;
  }
  bindTexture(target: number, texture: FakeTexture | null): void {
    if (target !== GL.TEXTURE_2D) throw unsupported(`bindTexture(${hex(target)})`, 'only 2D textures are kept');
    this.textureUnits[this.activeUnit] = texture;
  }
  texParameteri(_target: number, pname: number, value: number): void {
    this.boundTexture('texParameteri').parameters.set(pname, value);
  }
  texParameterf(_target: number, pname: number, value: number): void {
    this.boundTexture('texParameterf').parameters.set(pname, value);
  }

  private boundTexture(call: string): FakeTexture {
    const texture = this.textureUnits[this.activeUnit];
    if (!texture) throw unsupported(call, 'no texture is bound to the active unit');
    return texture;
  }

  private allocate(texture: FakeTexture, width: number, height: number, format: number, type: number, call: string): number {
    const bpp = bytesPerPixel(format, type);
    if (bpp === undefined) throw unsupported(`${call}(format ${hex(format)}, type ${hex(type)})`, 'the shim does not store that format');
    texture.width = width;
    texture.height = height;
    texture.format = format;
    texture.type = type;
    texture.pixels = new Uint8Array(width * height * bpp);
    return bpp;
  }

  /** Copies `rows` of `rowBytes` from `source` into `texture` at (x, y), honouring UNPACK_FLIP_Y_WEBGL. */
  private upload(texture: FakeTexture, x: number, y: number, width: number, height: number, source: Uint8Array, bpp: number, call: string): void {
    for (const p of [GL.UNPACK_ROW_LENGTH, GL.UNPACK_SKIP_ROWS, GL.UNPACK_SKIP_PIXELS]) {
      if (this.pixelStore.get(p) !== 0) throw unsupported(`${call} with pixelStorei(${hex(p)}) set`, 'the shim reads tightly packed rows only');
    }
    if (this.pixelStore.get(GL.UNPACK_PREMULTIPLY_ALPHA_WEBGL) === true) throw unsupported(`${call} with UNPACK_PREMULTIPLY_ALPHA_WEBGL`, 'the shim does not premultiply');
    const rowBytes = width * bpp;
    const alignment = this.pixelStore.get(GL.UNPACK_ALIGNMENT) as number;
    const stride = Math.ceil(rowBytes / alignment) * alignment;
    if (x < 0 || y < 0 || x + width > texture.width || y + height > texture.height) throw unsupported(`${call} outside the texture`, 'the region does not fit');
    if (source.length < stride * (height - 1) + rowBytes) throw unsupported(call, `the pixel data holds ${source.length} bytes, fewer than ${width}x${height} needs`);
    const flip = this.pixelStore.get(GL.UNPACK_FLIP_Y_WEBGL) === true;
    const textureRow = texture.width * bpp;
    for (let r = 0; r < height; r++) {
      const from = (flip ? height - 1 - r : r) * stride;
      texture.pixels.set(source.subarray(from, from + rowBytes), (y + r) * textureRow + x * bpp);
    }
  }

  texImage2D(...args: unknown[]): void {
    const texture = this.boundTexture('texImage2D');
    const [target, level] = args as [number, number];
    if (target !== GL.TEXTURE_2D || level !== 0) throw unsupported(`texImage2D(target ${hex(target)}, level ${level})`, 'only level 0 of 2D textures is kept');
    if (args.length === 6) {
      // (target, level, internalformat, format, type, source): an ImageData-like RGBA image.
      const [, , , format, type, source] = args as [number, number, number, number, number, RgbaImageLike];
      if (format !== GL.RGBA || type !== GL.UNSIGNED_BYTE || !source || !(source.data instanceof Uint8Array || source.data instanceof Uint8ClampedArray)) {
        throw unsupported('texImage2D(image source)', 'only RGBA 8-bit ImageData-like sources ({ data, width, height }) can be read in Node');
      }
      const bpp = this.allocate(texture, source.width, source.height, format, type, 'texImage2D');
      const bytes = new Uint8Array(source.data.buffer, source.data.byteOffset, source.data.byteLength);
      const alignment = this.pixelStore.get(GL.UNPACK_ALIGNMENT);
      // DOM image sources are always tightly packed, whatever UNPACK_ALIGNMENT says.
      this.pixelStore.set(GL.UNPACK_ALIGNMENT, 1);
      try {
        this.upload(texture, 0, 0, source.width, source.height, bytes, bpp, 'texImage2D');
      } finally {
        this.pixelStore.set(GL.UNPACK_ALIGNMENT, alignment!);
      }
      return;
    }
    if (args.length === 9 || args.length === 10) {
      // (target, level, internalformat, width, height, border, format, type, pixels[, srcOffset])
      const [, , , width, height, , format, type, pixels, srcOffset] = args as [number, number, number, number, number, number, number, number, unknown, number?];
      const bpp = this.allocate(texture, width, height, format, type, 'texImage2D');
      if (pixels === null || pixels === undefined) return;
      if (typeof pixels === 'number') throw unsupported('texImage2D(from a pixel unpack buffer)', 'pixel buffer objects move data on the GPU');
      if (!ArrayBuffer.isView(pixels)) throw unsupported('texImage2D(pixels)', 'the pixels are not a typed array');
      const view = pixels as ArrayBufferView & { BYTES_PER_ELEMENT?: number };
      const element = view.BYTES_PER_ELEMENT ?? 1;
      const bytes = new Uint8Array(view.buffer, view.byteOffset + (srcOffset ?? 0) * element, view.byteLength - (srcOffset ?? 0) * element);
      this.upload(texture, 0, 0, width, height, bytes, bpp, 'texImage2D');
      return;
    }
    throw unsupported(`texImage2D with ${args.length} arguments`, 'the shim knows the 6-, 9- and 10-argument forms only');
  }

  texStorage2D(target: number, levels: number, internalFormat: number, width: number, height: number): void {
    if (target !== GL.TEXTURE_2D || levels !== 1) throw unsupported(`texStorage2D(target ${hex(target)}, ${levels} levels)`, 'only one level of 2D textures is kept');
    const sized = SIZED_FORMATS[internalFormat];
    if (!sized) throw unsupported(`texStorage2D(internal format ${hex(internalFormat)})`, 'the shim does not store that format');
    this.allocate(this.boundTexture('texStorage2D'), width, height, sized.format, sized.type, 'texStorage2D');
  }

  texSubImage2D(...args: unknown[]): void {
    const texture = this.boundTexture('texSubImage2D');
    if (args.length !== 9 && args.length !== 10) throw unsupported(`texSubImage2D with ${args.length} arguments`, 'the shim knows the 9- and 10-argument forms only');
    const [target, level, x, y, width, height, format, type, pixels, srcOffset] = args as [number, number, number, number, number, number, number, number, unknown, number?];
    if (target !== GL.TEXTURE_2D || level !== 0) throw unsupported(`texSubImage2D(target ${hex(target)}, level ${level})`, 'only level 0 of 2D textures is kept');
    if (format !== texture.format || type !== texture.type) throw unsupported('texSubImage2D in another format than the texture', 'the shim does not convert formats');
    if (!ArrayBuffer.isView(pixels)) throw unsupported('texSubImage2D(pixels)', 'the pixels are not a typed array (pixel unpack buffers move data on the GPU)');
    const view = pixels as ArrayBufferView & { BYTES_PER_ELEMENT?: number };
    const element = view.BYTES_PER_ELEMENT ?? 1;
    const bytes = new Uint8Array(view.buffer, view.byteOffset + (srcOffset ?? 0) * element, view.byteLength - (srcOffset ?? 0) * element);
    this.upload(texture, x, y, width, height, bytes, bytesPerPixel(format, type)!, 'texSubImage2D');
  }

  // ---- framebuffers: a texture attached to COLOR_ATTACHMENT0 can be read back --------------------------------

  createFramebuffer(): FakeFramebuffer {
    return new FakeFramebuffer();
  }
  deleteFramebuffer(framebuffer: FakeFramebuffer | null): void {
    if (framebuffer && this.drawFramebuffer === framebuffer) this.drawFramebuffer = null;
    if (framebuffer && this.readFramebuffer === framebuffer) this.readFramebuffer = null;
  }
  isFramebuffer(framebuffer: unknown): boolean {
    return framebuffer instanceof FakeFramebuffer;
  }
  bindFramebuffer(target: number, framebuffer: FakeFramebuffer | null): void {
    if (target === GL.FRAMEBUFFER || target === GL.DRAW_FRAMEBUFFER) this.drawFramebuffer = framebuffer;
    if (target === GL.FRAMEBUFFER || target === GL.READ_FRAMEBUFFER) this.readFramebuffer = framebuffer;
  }
  private framebufferFor(target: number, call: string): FakeFramebuffer {
    const framebuffer = target === GL.READ_FRAMEBUFFER ? this.readFramebuffer : this.drawFramebuffer;
    if (!framebuffer) throw unsupported(`${call} on the default framebuffer`, 'the canvas has no drawing buffer');
    return framebuffer;
  }
  framebufferTexture2D(target: number, attachment: number, textarget: number, texture: FakeTexture | null, level: number): void {
    if (attachment !== GL.COLOR_ATTACHMENT0 || textarget !== GL.TEXTURE_2D || level !== 0) {
      throw unsupported(`framebufferTexture2D(attachment ${hex(attachment)}, target ${hex(textarget)}, level ${level})`, 'only level 0 of a 2D texture on COLOR_ATTACHMENT0 can be read back');
    }
    this.framebufferFor(target, 'framebufferTexture2D').colorAttachment = texture;
  }
  checkFramebufferStatus(target: number): number {
    const framebuffer = target === GL.READ_FRAMEBUFFER ? this.readFramebuffer : this.drawFramebuffer;
    if (!framebuffer) return GL.FRAMEBUFFER_COMPLETE;
    return framebuffer.colorAttachment ? GL.FRAMEBUFFER_COMPLETE : GL.FRAMEBUFFER_INCOMPLETE_MISSING_ATTACHMENT;
  }

  readPixels(x: number, y: number, width: number, height: number, format: number, type: number, destination: unknown, dstOffset = 0): void {
    const texture = this.framebufferFor(GL.READ_FRAMEBUFFER, 'readPixels').colorAttachment;
    if (!texture) throw unsupported('readPixels from a framebuffer without a colour attachment', 'there is nothing to read');
    if (typeof destination === 'number' || !ArrayBuffer.isView(destination)) throw unsupported('readPixels into a pixel pack buffer', 'pixel buffer objects move data on the GPU');
    if (format !== texture.format || type !== texture.type) {
      throw unsupported(`readPixels(format ${hex(format)}, type ${hex(type)}) from a texture stored as (${hex(texture.format)}, ${hex(texture.type)})`, 'the shim does not convert formats');
    }
    for (const p of [GL.PACK_ROW_LENGTH, GL.PACK_SKIP_ROWS, GL.PACK_SKIP_PIXELS]) {
      if (this.pixelStore.get(p) !== 0) throw unsupported(`readPixels with pixelStorei(${hex(p)}) set`, 'the shim writes tightly packed rows only');
    }
    if (x < 0 || y < 0 || x + width > texture.width || y + height > texture.height) throw unsupported('readPixels outside the texture', 'the region does not fit');
    const bpp = bytesPerPixel(format, type)!;
    const rowBytes = width * bpp;
    const alignment = this.pixelStore.get(GL.PACK_ALIGNMENT) as number;
    const stride = Math.ceil(rowBytes / alignment) * alignment;
    const view = destination as ArrayBufferView & { BYTES_PER_ELEMENT?: number };
    const out = new Uint8Array(view.buffer, view.byteOffset + dstOffset * (view.BYTES_PER_ELEMENT ?? 1));
    if (out.length < stride * (height - 1) + rowBytes) throw unsupported('readPixels', 'the destination is too small');
    const textureRow = texture.width * bpp;
    for (let r = 0; r < height; r++) {
      const from = (y + r) * textureRow + x * bpp;
      out.set(texture.pixels.subarray(from, from + rowBytes), r * stride);
    }
  }

  /** The objects currently bound (for tests and diagnostics). */
  bindings(): { texture: Bindable; readFramebuffer: Bindable; drawFramebuffer: Bindable; program: Bindable; vertexArray: Bindable } {
    return {
      texture: this.textureUnits[this.activeUnit] ?? null,
      readFramebuffer: this.readFramebuffer,
      drawFramebuffer: this.drawFramebuffer,
      program: this.program,
      vertexArray: this.vertexArray,
    };
  }
}
